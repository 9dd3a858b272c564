// Package certstore finds, describes, decrypts and uses the Korean public
// certificates (NPKI, GPKI) and PKCS#12 files that public-sector staff keep on
// their hard disk or on a USB drive.
//
// The layout and the key formats are those of the KISA specifications that
// every Korean signing product follows: a folder per certificate holding
// signCert.der (the DER certificate) and signPri.key (a PKCS#8
// EncryptedPrivateKeyInfo), under NPKI/<CA>/USER/ on the hard disk or at the
// root of a removable drive. The private key is encrypted with SEED or ARIA,
// Korean block ciphers that Go's standard library lacks, so they live in
// certstore/seed and certstore/aria.
//
// Nothing here trusts folder names: they are CP949 on old Windows
// installations and decomposed Hangul on macOS, so every fact shown to the
// user is read from the certificate itself.
package certstore
