package certstore

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/internal/testfixtures"
)

const realPassword = "WTuA8Ev0lWXVFSiI!"

// TestRealYessignCertificate reads the genuine yessign test certificate as
// the picker would, and checks every fact its README states.
func TestRealYessignCertificate(t *testing.T) {
	c, err := Load(testfixtures.Path(t, "npki-real"))
	if err != nil {
		t.Fatal(err)
	}
	in := c.Info(time.Now())
	want := map[string]string{
		"name":       "HKD",
		"issuer_ca":  "yessign",
		"purpose":    string(PurposeBanking),
		"policy_oid": "1.2.410.200005.1.1.4",
		"serial":     "459c75",
		"not_before": "2020-02-24T15:00:00Z",
		"not_after":  "2020-03-25T14:59:59Z",
	}
	got := map[string]string{
		"name":       in.Name,
		"issuer_ca":  in.IssuerCA,
		"purpose":    string(in.Purpose),
		"policy_oid": in.PolicyOID,
		"serial":     in.Serial,
		"not_before": in.NotBefore.Format(time.RFC3339),
		"not_after":  in.NotAfter.Format(time.RFC3339),
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if !in.Expired || in.ExpiringSoon || in.DaysLeft >= 0 {
		t.Errorf("expired=%v expiring_soon=%v days_left=%d; want expired", in.Expired, in.ExpiringSoon, in.DaysLeft)
	}
	if in.IssuerCAKorean != "금융결제원" || in.Kind != KindNPKI || in.Location != LocationFile {
		t.Errorf("korean=%q kind=%q location=%q", in.IssuerCAKorean, in.Kind, in.Location)
	}
}

func TestRealYessignKeyDecrypts(t *testing.T) {
	plain := testfixtures.Read(t, "npki-real", "signPri.plain.der")
	c, err := Load(testfixtures.Path(t, "npki-real", "signCert.der"))
	if err != nil {
		t.Fatal(err)
	}
	id, err := c.Unlock([]byte(realPassword))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(id.Key.PKCS8, plain) {
		t.Fatal("decrypted key differs from signPri.plain.der")
	}
	if len(id.Key.Random) != 20 {
		t.Fatalf("R is %d bytes, want 20", len(id.Key.Random))
	}
	ref, err := ParsePKCS8(plain)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ref.Random, id.Key.Random) {
		t.Fatal("R differs from the one in signPri.plain.der")
	}

	// A signature made with the key verifies against the certificate, in
	// every algorithm an RSA key offers.
	msg := []byte("svpn-login-v1 test challenge")
	for _, alg := range []api.SignatureAlgorithm{"", api.SigRSAPKCS1SHA256, api.SigRSAPSSSHA256} {
		sig, used, err := id.Sign(rand.Reader, msg, alg)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifySignature(c.X509, used, msg, sig); err != nil {
			t.Errorf("%s: %v", used, err)
		}
		if err := VerifySignature(c.X509, used, []byte("other message"), sig); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: wrong message verified: %v", used, err)
		}
	}
	if _, _, err := id.Sign(rand.Reader, msg, api.SigECDSASHA256); !errors.Is(err, ErrUnsupported) {
		t.Errorf("ECDSA with an RSA key: %v", err)
	}
}

func TestRealYessignPFX(t *testing.T) {
	plain := testfixtures.Read(t, "npki-real", "signPri.plain.der")
	ref, err := ParsePKCS8(plain)
	if err != nil {
		t.Fatal(err)
	}
	// The certificate is readable before the password is typed.
	c, err := Load(testfixtures.Path(t, "npki-real", "cert.pfx"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Kind != KindPKCS12 || c.X509.SerialNumber.Int64() != 0x459c75 {
		t.Fatalf("kind %s serial %x", c.Kind, c.X509.SerialNumber)
	}
	id, err := c.Unlock([]byte(realPassword))
	if err != nil {
		t.Fatal(err)
	}
	if !id.Key.Signer.(*rsa.PrivateKey).Equal(ref.Signer) {
		t.Fatal("cert.pfx key differs from signPri.plain.der")
	}
	if _, err := c.Unlock([]byte("wrong")); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("wrong password: %v", err)
	}
}

func TestRealYessignIdentifyData(t *testing.T) {
	c, err := Load(testfixtures.Path(t, "npki-real"))
	if err != nil {
		t.Fatal(err)
	}
	id, err := ParseIdentifyData(c.X509)
	if err != nil {
		t.Fatal(err)
	}
	if id.RealName != "HKD" || len(id.VID) != 32 || id.Hash.String() != "SHA-256" {
		t.Fatalf("identify data %+v", id)
	}
	key, err := c.Unlock([]byte(realPassword))
	if err != nil {
		t.Fatal(err)
	}
	// The holder's number is not published; any other number must fail.
	if err := VerifyVID(c.X509, key.Key.Random, "8001011234567"); !errors.Is(err, ErrVIDMismatch) {
		t.Fatalf("VerifyVID with a wrong number: %v", err)
	}
}

func TestRealYessignWrongPasswords(t *testing.T) {
	c, err := Load(testfixtures.Path(t, "npki-real"))
	if err != nil {
		t.Fatal(err)
	}
	for _, pw := range []string{"", "wTuA8Ev0lWXVFSiI!", "WTuA8Ev0lWXVFSiI", "WTuA8Ev0lWXVFSiI!!", "password"} {
		if _, err := c.Unlock([]byte(pw)); !errors.Is(err, ErrWrongPassword) {
			t.Errorf("password %q: %v", pw, err)
		}
	}
}

func TestOpenSSLPBES2Keys(t *testing.T) {
	// Despite its name, OpenSSL wrote plain-pkcs8.der in the traditional
	// PKCS#1 form; compare key material, not bytes.
	plain, err := x509.ParsePKCS1PrivateKey(testfixtures.Read(t, "pbes2-openssl", "plain-pkcs8.der"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"seed-cbc-hmacsha1.key", "seed-cbc-hmacsha256.key", "aria128-cbc-hmacsha256.key"} {
		t.Run(name, func(t *testing.T) {
			der := testfixtures.Read(t, "pbes2-openssl", name)
			k, err := DecryptPrivateKey(der, []byte("test1234"))
			if err != nil {
				t.Fatal(err)
			}
			if !plain.Equal(k.Signer) {
				t.Fatal("decrypted key differs from plain-pkcs8.der")
			}
			if _, err := DecryptPrivateKey(der, []byte("test12345")); !errors.Is(err, ErrWrongPassword) {
				t.Fatalf("wrong password: %v", err)
			}
		})
	}
}
