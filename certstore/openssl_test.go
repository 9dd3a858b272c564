package certstore

// Interoperability with the real openssl command (OpenSSL 3): keys and
// PKCS#12 files OpenSSL writes must open here, and what this package writes
// must open in OpenSSL. The tests skip when openssl is not installed.

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"errors"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opensvpn/svpn/internal/testfixtures"
)

// osslRequire skips the test when openssl, or its legacy provider (SEED),
// is missing.
func osslRequire(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not on PATH: install the openssl package (OpenSSL 3) to run the interoperability tests")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "openssl", "list", "-providers", "-provider", "legacy", "-provider", "default").CombinedOutput()
	if err != nil {
		t.Skipf("openssl cannot load its legacy provider (SEED, RC2 need it): %v\n%s", err, out)
	}
}

// osslRun runs openssl with args and fails the test if it fails.
func osslRun(t *testing.T, args ...string) []byte {
	t.Helper()
	out, err := osslTry(args...)
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// osslTry runs openssl with args, returning its combined output.
func osslTry(args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return exec.CommandContext(ctx, "openssl", args...).CombinedOutput()
}

// osslKeyCert has openssl make an RSA-2048 key and a self-signed
// certificate in dir; it returns their PEM paths and the parsed pair.
func osslKeyCert(t *testing.T, dir string) (keyPEM, certPEM string, key *rsa.PrivateKey, cert *x509.Certificate) {
	t.Helper()
	keyPEM = filepath.Join(dir, "key.pem")
	certPEM = filepath.Join(dir, "cert.pem")
	osslRun(t, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", keyPEM)
	osslRun(t, "req", "-x509", "-new", "-key", keyPEM, "-subj", "/C=KR/O=yessign/OU=personal4IB/CN=OpenSSL Interop()0012345", "-days", "30", "-out", certPEM)
	k, err := x509.ParsePKCS8PrivateKey(osslPEMBlock(t, keyPEM, "PRIVATE KEY"))
	if err != nil {
		t.Fatal(err)
	}
	key, ok := k.(*rsa.PrivateKey)
	if !ok {
		t.Fatalf("openssl made a %T key", k)
	}
	cert, err = x509.ParseCertificate(osslPEMBlock(t, certPEM, "CERTIFICATE"))
	if err != nil {
		t.Fatal(err)
	}
	return keyPEM, certPEM, key, cert
}

func osslPEMBlock(t *testing.T, path, typ string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			t.Fatalf("%s: no %s PEM block", path, typ)
		}
		if b.Type == typ {
			return b.Bytes
		}
	}
}

// osslRand returns a generator whose seed is logged, so a failure can be
// replayed with SVPN_TEST_SEED.
func osslRand(t *testing.T) *mrand.Rand {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("SVPN_TEST_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("SVPN_TEST_SEED: %v", err)
		}
		seed = v
	}
	t.Logf("random seed %d (set SVPN_TEST_SEED to replay)", seed)
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	return mrand.New(mrand.NewChaCha8(s))
}

const osslPasswordChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" +
	"!@#$%^&*()-_=+[]{};:'\",.<>/?\\|`~ "

// osslPassword returns a random printable-ASCII password of n bytes with at
// least one letter, one digit and one symbol, not starting or ending with a
// space.
func osslPassword(r *mrand.Rand, n int) string {
	for {
		b := make([]byte, n)
		for i := range b {
			b[i] = osslPasswordChars[r.IntN(len(osslPasswordChars))]
		}
		s := string(b)
		if strings.ContainsAny(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") &&
			strings.ContainsAny(s, "0123456789") && strings.ContainsAny(s, "!@#$%^&*()-_=+[]{};:'\",.<>/?\\|`~") &&
			s[0] != ' ' && s[n-1] != ' ' {
			return s
		}
	}
}

// osslWrongVariants returns near misses of pw: case flipped, one character
// dropped, one added, empty.
func osslWrongVariants(r *mrand.Rand, pw string) []string {
	flipped := []byte(pw)
	for i, c := range flipped {
		switch {
		case 'a' <= c && c <= 'z':
			flipped[i] = c - 'a' + 'A'
		case 'A' <= c && c <= 'Z':
			flipped[i] = c - 'A' + 'a'
		}
	}
	drop := r.IntN(len(pw))
	out := []string{
		string(flipped),
		pw[:drop] + pw[drop+1:],
		pw[:len(pw)-1],
		pw[1:],
		pw + "x",
		"",
	}
	for _, w := range out {
		if w == pw {
			panic("wrong-password variant equals the password")
		}
	}
	return out
}

// TestOpenSSLPKCS8Decrypts: keys OpenSSL encrypts with PBES2 (SEED, ARIA,
// AES; HMAC-SHA256 and HMAC-SHA1) decrypt to the same key, and near-miss
// passwords are all refused.
func TestOpenSSLPKCS8Decrypts(t *testing.T) {
	osslRequire(t)
	dir := t.TempDir()
	keyPEM, _, key, _ := osslKeyCert(t, dir)
	r := osslRand(t)
	passwords := []string{`a$b"c'd e!#%;\|`, osslPassword(r, 12), osslPassword(r, 20)}

	cases := []struct {
		cipher, prf string
		iter        int // 0: OpenSSL's default 2048
		oid         asn1.ObjectIdentifier
	}{
		{"seed-cbc", "hmacWithSHA256", 0, oidSEEDCBC},
		{"aria-128-cbc", "hmacWithSHA256", 0, oidARIA128CBC},
		{"aes-256-cbc", "hmacWithSHA256", 0, oidAES256CBC},
		{"seed-cbc", "hmacWithSHA1", 0, oidSEEDCBC},
		{"aria-256-cbc", "hmacWithSHA512", 10000, oidARIA256CBC},
		{"aes-128-cbc", "hmacWithSHA1", 1, oidAES128CBC},
	}
	for _, c := range cases {
		t.Run(c.cipher+"-"+c.prf, func(t *testing.T) {
			for i, pw := range passwords {
				out := filepath.Join(dir, c.cipher+"-"+c.prf+"-"+strconv.Itoa(i)+".der")
				args := []string{"pkcs8", "-topk8", "-provider", "legacy", "-provider", "default",
					"-v2", c.cipher, "-v2prf", c.prf, "-in", keyPEM, "-outform", "DER", "-out", out, "-passout", "pass:" + pw}
				if c.iter != 0 {
					args = append(args, "-iter", strconv.Itoa(c.iter))
				}
				osslRun(t, args...)
				der, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				// OpenSSL really used the scheme asked for.
				alg, kp := osslPBES2Params(t, der)
				if !alg.Equal(c.oid) {
					t.Fatalf("openssl wrote cipher %v, want %v", alg, c.oid)
				}
				wantIter := c.iter
				if wantIter == 0 {
					wantIter = DefaultIterations
				}
				if kp.Iterations != wantIter {
					t.Fatalf("openssl wrote %d iterations, want %d", kp.Iterations, wantIter)
				}
				if c.prf == "hmacWithSHA1" && len(kp.PRF.Algorithm) != 0 {
					t.Fatalf("openssl wrote PRF %v for hmacWithSHA1", kp.PRF.Algorithm)
				}

				k, err := DecryptPrivateKey(der, []byte(pw))
				if err != nil {
					t.Fatalf("password %q: %v", pw, err)
				}
				if !key.Equal(k.Signer) {
					t.Fatalf("password %q: decrypted key differs from openssl's", pw)
				}
				for _, w := range osslWrongVariants(r, pw) {
					if _, err := DecryptPrivateKey(der, []byte(w)); !errors.Is(err, ErrWrongPassword) {
						t.Errorf("password %q, tried %q: %v, want ErrWrongPassword", pw, w, err)
					}
				}
			}
		})
	}
}

// osslPBES2Params returns the cipher OID and PBKDF2 parameters of a PBES2
// EncryptedPrivateKeyInfo.
func osslPBES2Params(t *testing.T, der []byte) (asn1.ObjectIdentifier, pbkdf2Params) {
	t.Helper()
	var epki encryptedPrivateKeyInfo
	if err := unmarshalStrict(der, &epki); err != nil {
		t.Fatal(err)
	}
	if !epki.Algo.Algorithm.Equal(oidPBES2) {
		t.Fatalf("algorithm %v, want PBES2", epki.Algo.Algorithm)
	}
	var p pbes2Params
	if err := unmarshalStrict(epki.Algo.Parameters.FullBytes, &p); err != nil {
		t.Fatal(err)
	}
	var kp pbkdf2Params
	if err := unmarshalStrict(p.KDF.Parameters.FullBytes, &kp); err != nil {
		t.Fatal(err)
	}
	return p.Scheme.Algorithm, kp
}

// TestOpenSSLPKCS12Opens: PKCS#12 files from `openssl pkcs12 -export`, modern
// (PBES2 AES-256, SHA-256 MAC) and -legacy (3DES key, RC2-40 certificate,
// SHA-1 MAC), open here. When the certificate bag is encrypted, Load says
// the password is needed and LoadPKCS12 opens the file.
func TestOpenSSLPKCS12Opens(t *testing.T) {
	osslRequire(t)
	dir := t.TempDir()
	keyPEM, certPEM, key, cert := osslKeyCert(t, dir)
	r := osslRand(t)

	cases := []struct {
		name          string
		args          []string
		certEncrypted bool
	}{
		{"modern", nil, true},
		{"legacy", []string{"-legacy"}, true},
		{"modern-plain-cert", []string{"-certpbe", "NONE"}, false},
		{"legacy-3des-plain-cert", []string{"-legacy", "-certpbe", "NONE"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pw := osslPassword(r, 16)
			p12 := filepath.Join(dir, c.name+".p12")
			args := append([]string{"pkcs12", "-export", "-in", certPEM, "-inkey", keyPEM, "-out", p12, "-passout", "pass:" + pw}, c.args...)
			osslRun(t, args...)

			var id *Identity
			lc, err := Load(p12)
			if c.certEncrypted {
				if !errors.Is(err, ErrPasswordNeeded) {
					t.Fatalf("Load: %v, want ErrPasswordNeeded", err)
				}
				if id, err = LoadPKCS12(p12, []byte(pw)); err != nil {
					t.Fatalf("LoadPKCS12: %v", err)
				}
				for _, w := range osslWrongVariants(r, pw) {
					if _, err := LoadPKCS12(p12, []byte(w)); !errors.Is(err, ErrWrongPassword) {
						t.Errorf("LoadPKCS12 with %q: %v, want ErrWrongPassword", w, err)
					}
				}
			} else {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if lc.Kind != KindPKCS12 || !bytes.Equal(lc.X509.Raw, cert.Raw) {
					t.Fatalf("Load: kind %s, certificate differs: %v", lc.Kind, !bytes.Equal(lc.X509.Raw, cert.Raw))
				}
				if id, err = lc.Unlock([]byte(pw)); err != nil {
					t.Fatalf("Unlock: %v", err)
				}
				for _, w := range osslWrongVariants(r, pw) {
					if _, err := lc.Unlock([]byte(w)); !errors.Is(err, ErrWrongPassword) {
						t.Errorf("Unlock with %q: %v, want ErrWrongPassword", w, err)
					}
				}
			}
			if !key.Equal(id.Key.Signer) || !bytes.Equal(id.Certificate.X509.Raw, cert.Raw) {
				t.Fatal("PKCS#12 key or certificate differs from what openssl was given")
			}

			// Imported into an NPKI folder, it unlocks with the same password.
			data, err := os.ReadFile(p12)
			if err != nil {
				t.Fatal(err)
			}
			imp, err := ImportPKCS12(rand.Reader, data, []byte(pw), filepath.Join(dir, c.name+"-NPKI"), LocationDisk)
			if err != nil {
				t.Fatalf("ImportPKCS12: %v", err)
			}
			nc, err := Load(imp.Path)
			if err != nil {
				t.Fatal(err)
			}
			nid, err := nc.Unlock([]byte(pw))
			if err != nil {
				t.Fatalf("imported key: %v", err)
			}
			if !key.Equal(nid.Key.Signer) {
				t.Fatal("imported key differs")
			}
		})
	}
}

// osslLegacyKeyIV derives the seedCBCWithSHA1 key and IV from the README's
// description, independently of pbkdf1SHA1.
func osslLegacyKeyIV(t *testing.T, der, password []byte) (key, iv []byte) {
	t.Helper()
	var epki encryptedPrivateKeyInfo
	if err := unmarshalStrict(der, &epki); err != nil {
		t.Fatal(err)
	}
	if !epki.Algo.Algorithm.Equal(oidSEEDCBCWithSHA1) {
		t.Fatalf("algorithm %v, want seedCBCWithSHA1", epki.Algo.Algorithm)
	}
	var p legacyParams
	if err := unmarshalStrict(epki.Algo.Parameters.FullBytes, &p); err != nil {
		t.Fatal(err)
	}
	dk := sha1.Sum(append(append([]byte{}, password...), p.Salt...))
	for i := 2; i <= p.Iterations; i++ {
		dk = sha1.Sum(dk[:])
	}
	ivh := sha1.Sum(dk[16:20])
	return dk[:16], ivh[:16]
}

// TestOpenSSLReadsOurKeys: key files EncryptPrivateKey writes open in
// OpenSSL. OpenSSL does not know KISA's seedCBCWithSHA1 scheme, so for it
// the key and IV are derived here and `openssl enc -seed-cbc` decrypts.
func TestOpenSSLReadsOurKeys(t *testing.T) {
	osslRequire(t)
	dir := t.TempDir()
	_, _, key, _ := osslKeyCert(t, dir)
	r := osslRand(t)
	random := make([]byte, 20)
	rand.Read(random)
	plain, err := MarshalPKCS8(key, random)
	if err != nil {
		t.Fatal(err)
	}

	schemes := []struct {
		name   string
		scheme Scheme
		iter   int
	}{
		{"seed-legacy", SchemeSEEDLegacy, 0},
		{"pbes2-seed", SchemePBES2SEED, 0},
		{"pbes2-aria128", SchemePBES2ARIA128, 0},
		{"pbes2-aes256", SchemePBES2AES256, 0},
		{"pbes2-seed-sha1", SchemePBES2SEEDSHA1, 0},
		{"pbes2-aes256-10000", SchemePBES2AES256, 10000},
		{"pbes2-seed-import", SchemePBES2SEED, ImportIterations},
		{"pbes2-aria128-import", SchemePBES2ARIA128, ImportIterations},
	}
	for _, s := range schemes {
		t.Run(s.name, func(t *testing.T) {
			pw := osslPassword(r, 14)
			enc, err := EncryptPrivateKey(rand.Reader, plain, []byte(pw), s.scheme, s.iter)
			if err != nil {
				t.Fatal(err)
			}
			in := filepath.Join(dir, s.name+".key")
			out := filepath.Join(dir, s.name+".plain")
			if err := os.WriteFile(in, enc, 0o600); err != nil {
				t.Fatal(err)
			}
			if s.scheme == SchemeSEEDLegacy {
				var epki encryptedPrivateKeyInfo
				if err := unmarshalStrict(enc, &epki); err != nil {
					t.Fatal(err)
				}
				ct := filepath.Join(dir, s.name+".ct")
				if err := os.WriteFile(ct, epki.EncryptedData, 0o600); err != nil {
					t.Fatal(err)
				}
				k, iv := osslLegacyKeyIV(t, enc, []byte(pw))
				osslRun(t, "enc", "-d", "-seed-cbc", "-provider", "legacy", "-provider", "default",
					"-K", hex.EncodeToString(k), "-iv", hex.EncodeToString(iv), "-in", ct, "-out", out)
				got, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, plain) {
					t.Fatal("openssl enc -seed-cbc decrypted something else")
				}
				return
			}
			// PEM output: OpenSSL 3 writes DER output in the PKCS#1 form.
			osslRun(t, "pkcs8", "-inform", "DER", "-in", in, "-passin", "pass:"+pw,
				"-provider", "legacy", "-provider", "default", "-out", out)
			got := osslPEMBlock(t, out, "PRIVATE KEY")
			k, err := x509.ParsePKCS8PrivateKey(got)
			if err != nil {
				t.Fatal(err)
			}
			if !key.Equal(k) {
				t.Fatal("openssl decrypted a different key")
			}
			// (OpenSSL re-encodes the key and drops PKCS#8 attributes such
			// as R, so only the key itself is compared.)
			// OpenSSL refuses a wrong password too.
			if out, err := osslTry("pkcs8", "-inform", "DER", "-in", in, "-passin", "pass:"+pw+"x",
				"-provider", "legacy", "-provider", "default", "-out", filepath.Join(dir, "wrong")); err == nil {
				t.Fatalf("openssl accepted a wrong password\n%s", out)
			}
		})
	}
}

// TestOpenSSLReadsExportPKCS12: ExportPKCS12 output opens in `openssl pkcs12`
// with the same password and holds the matching certificate and key.
func TestOpenSSLReadsExportPKCS12(t *testing.T) {
	osslRequire(t)
	dir := t.TempDir()
	_, _, key, cert := osslKeyCert(t, dir)
	r := osslRand(t)

	// An NPKI folder holding the OpenSSL pair, and the real yessign one.
	pw := osslPassword(r, 15)
	plain, err := MarshalPKCS8(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := EncryptPrivateKey(rand.Reader, plain, []byte(pw), SchemeSEEDLegacy, 0)
	if err != nil {
		t.Fatal(err)
	}
	npki, err := WriteNPKI(filepath.Join(dir, "NPKI"), cert, enc)
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name, dir, password string
	}{
		{"openssl-pair", npki, pw},
		{"yessign-real", testfixtures.Path(t, "npki-real"), realPassword},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			nc, err := Load(c.dir)
			if err != nil {
				t.Fatal(err)
			}
			id, err := nc.Unlock([]byte(c.password))
			if err != nil {
				t.Fatal(err)
			}
			p12, err := nc.ExportPKCS12(rand.Reader, []byte(c.password))
			if err != nil {
				t.Fatal(err)
			}
			f := filepath.Join(dir, c.name+".p12")
			if err := os.WriteFile(f, p12, 0o600); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, c.name+".pem")
			osslRun(t, "pkcs12", "-in", f, "-passin", "pass:"+c.password, "-nodes", "-out", out)
			gotCert, err := x509.ParseCertificate(osslPEMBlock(t, out, "CERTIFICATE"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(gotCert.Raw, nc.X509.Raw) {
				t.Fatal("openssl read another certificate")
			}
			gotKey, err := x509.ParsePKCS8PrivateKey(osslPEMBlock(t, out, "PRIVATE KEY"))
			if err != nil {
				t.Fatal(err)
			}
			if !id.Key.Signer.(*rsa.PrivateKey).Equal(gotKey) {
				t.Fatal("openssl read another key")
			}
			if !KeyMatches(gotKey.(*rsa.PrivateKey), gotCert.PublicKey) {
				t.Fatal("openssl's key does not match openssl's certificate")
			}
			if out, err := osslTry("pkcs12", "-in", f, "-passin", "pass:"+c.password+"x", "-nodes", "-out", filepath.Join(dir, "wrong.pem")); err == nil {
				t.Fatalf("openssl opened the export with a wrong password\n%s", out)
			}
			// And it opens here again.
			back, err := LoadPKCS12(f, []byte(c.password))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(back.Certificate.X509.Raw, nc.X509.Raw) || !id.Key.Signer.(*rsa.PrivateKey).Equal(back.Key.Signer) {
				t.Fatal("export does not round-trip")
			}
		})
	}
}

// TestRealKeyRefusesRandomPasswords: 300 random passwords against the real
// SEED legacy signPri.key are all refused. A wrong password gives valid
// PKCS#7 padding about 1 time in 256; the test also searches (boundedly)
// for such passwords and checks Unlock refuses them as well.
func TestRealKeyRefusesRandomPasswords(t *testing.T) {
	c, err := Load(testfixtures.Path(t, "npki-real"))
	if err != nil {
		t.Fatal(err)
	}
	keyFile := testfixtures.Read(t, "npki-real", "signPri.key")
	r := osslRand(t)
	randomPassword := func() string {
		for {
			b := make([]byte, 1+r.IntN(24))
			for i := range b {
				b[i] = byte(0x20 + r.IntN(0x7f-0x20))
			}
			if s := string(b); s != realPassword {
				return s
			}
		}
	}
	for i := 0; i < 300; i++ {
		pw := randomPassword()
		if _, err := c.Unlock([]byte(pw)); !errors.Is(err, ErrWrongPassword) {
			t.Fatalf("password %q: %v, want ErrWrongPassword", pw, err)
		}
	}

	// Passwords that get past the padding check must be caught later.
	const want, limit = 3, 20000
	found := 0
	for i := 0; i < limit && found < want; i++ {
		pw := randomPassword()
		if _, err := decryptPKCS8(keyFile, []byte(pw)); err != nil {
			if !errors.Is(err, ErrWrongPassword) {
				t.Fatalf("password %q: %v", pw, err)
			}
			continue
		}
		found++
		t.Logf("password %q passes the padding check", pw)
		if _, err := c.Unlock([]byte(pw)); !errors.Is(err, ErrWrongPassword) {
			t.Fatalf("password %q passes the padding check; Unlock: %v, want ErrWrongPassword", pw, err)
		}
		if _, err := DecryptPrivateKey(keyFile, []byte(pw)); !errors.Is(err, ErrWrongPassword) {
			t.Fatalf("password %q passes the padding check; DecryptPrivateKey: %v, want ErrWrongPassword", pw, err)
		}
	}
	if found < want {
		t.Fatalf("only %d of %d random passwords passed the padding check (expected about 1 in 256)", found, limit)
	}
}

// TestOpenSSLReadsImportedKey: the signPri.key ImportPKCS12 writes (PBES2,
// PBKDF2-HMAC-SHA256, SEED-CBC) opens in `openssl pkcs8` with the PKCS#12
// password, as the same key.
func TestOpenSSLReadsImportedKey(t *testing.T) {
	osslRequire(t)
	dir := t.TempDir()
	pw := osslPassword(osslRand(t), 14)
	p12, _, key := testPKCS12(t, pw)
	c, err := ImportPKCS12(rand.Reader, p12, []byte(pw), filepath.Join(dir, "NPKI"), LocationDisk)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "plain.pem")
	osslRun(t, "pkcs8", "-inform", "DER", "-in", c.KeyPath, "-passin", "pass:"+pw,
		"-provider", "legacy", "-provider", "default", "-out", out)
	k, err := x509.ParsePKCS8PrivateKey(osslPEMBlock(t, out, "PRIVATE KEY"))
	if err != nil {
		t.Fatal(err)
	}
	if !KeyMatches(key, k.(crypto.Signer).Public()) {
		t.Fatal("openssl decrypted a different key")
	}
}
