// Package token uses certificates whose private key lives on a security
// token (보안토큰, KISA KCAC.TS.HSMU) through the token vendor's PKCS#11
// module: it finds the tokens and certificates present, logs in with the
// PIN and signs login challenges on the token; the key never leaves it.
//
// Loading a module runs its code in this process, so only modules that are
// allowed are loaded (Policy: the system's p11-kit module registry, the
// modules the installed profile names, optionally with their SHA-256, and
// those given on the command line), and each is first initialised once in
// a child process (the running program, re-executed) under a timeout: a
// driver that crashes or hangs there is reported and never loaded here.
//
// Only the front ends (svpn, svpnctl) import this package: it is the
// process that signs that loads the module, never svpnd. The PKCS#11 code
// needs cgo (crypto11, miekg/pkcs11); built without cgo, the package
// reports token_unsupported and everything else still works.
package token
