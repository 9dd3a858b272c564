package certstore

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// testPKCS12 makes a self-signed certificate and key and returns them as a
// PKCS#12 file protected by password.
func testPKCS12(t *testing.T, password string) ([]byte, *x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(0x459c76),
		Subject:   pkix.Name{Country: []string{"KR"}, Organization: []string{"yessign"}, CommonName: "가져오기()0012345"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	x, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	p12, err := EncodePKCS12(rand.Reader, key, x, password)
	if err != nil {
		t.Fatal(err)
	}
	return p12, x, key
}

// keyAlgorithm parses a key file's AlgorithmIdentifier down to the KDF,
// its PRF and iteration count, and the cipher.
func keyAlgorithm(t *testing.T, der []byte) (outer, kdf, prf, cipherOID string, iterations int) {
	t.Helper()
	var epki encryptedPrivateKeyInfo
	if err := unmarshalStrict(der, &epki); err != nil {
		t.Fatal(err)
	}
	outer = epki.Algo.Algorithm.String()
	if !epki.Algo.Algorithm.Equal(oidPBES2) {
		return outer, "", "", "", 0
	}
	var p pbes2Params
	if err := unmarshalStrict(epki.Algo.Parameters.FullBytes, &p); err != nil {
		t.Fatal(err)
	}
	var kp pbkdf2Params
	if err := unmarshalStrict(p.KDF.Parameters.FullBytes, &kp); err != nil {
		t.Fatal(err)
	}
	return outer, p.KDF.Algorithm.String(), kp.PRF.Algorithm.String(), p.Scheme.Algorithm.String(), kp.Iterations
}

// TestImportPKCS12WritesPBES2: an imported key is PBES2 with
// PBKDF2-HMAC-SHA256 (at least 10,000 iterations) and SEED-CBC, not KISA's
// PBKDF1-SHA1 scheme, and opens with the PKCS#12 password.
func TestImportPKCS12WritesPBES2(t *testing.T) {
	const pw = "가져오기-Pass1!"
	p12, x, key := testPKCS12(t, pw)
	c, err := ImportPKCS12(rand.Reader, p12, []byte(pw), filepath.Join(t.TempDir(), "NPKI"), LocationDisk)
	if err != nil {
		t.Fatal(err)
	}
	der, err := os.ReadFile(c.KeyPath)
	if err != nil {
		t.Fatal(err)
	}
	outer, kdf, prf, cipherOID, iter := keyAlgorithm(t, der)
	if outer != oidPBES2.String() || kdf != oidPBKDF2.String() || prf != oidHMACWithSHA256.String() ||
		cipherOID != oidSEEDCBC.String() || iter < 10_000 {
		t.Fatalf("imported key: algorithm %s, KDF %s, PRF %s, cipher %s, %d iterations; want PBES2, PBKDF2, hmacWithSHA256, SEED-CBC, ≥ 10000",
			outer, kdf, prf, cipherOID, iter)
	}
	loaded, err := Load(filepath.Dir(c.Path))
	if err != nil {
		t.Fatal(err)
	}
	if !loaded.X509.Equal(x) {
		t.Fatal("a different certificate was written")
	}
	if _, err := loaded.Unlock([]byte(pw + "x")); err == nil {
		t.Fatal("the imported key opened with a wrong password")
	}
	id, err := loaded.Unlock([]byte(pw))
	if err != nil {
		t.Fatal(err)
	}
	if !KeyMatches(id.Key.Signer, key.Public()) {
		t.Fatal("the imported key is not the PKCS#12 key")
	}
}
