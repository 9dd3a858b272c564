package gateway

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/certstore/certgen"
	"github.com/opensvpn/svpn/internal/softhsm"
)

// TestDemoUsers: the demo provisions an account per kind of certificate,
// each certificate where that kind lives, and a second start reuses them.
func TestDemoUsers(t *testing.T) {
	dir := t.TempDir()
	_, d, err := PrepareDemo(dir, "127.0.0.1:0", 0)
	if err != nil {
		t.Fatal(err)
	}
	byKind := map[string]DemoUser{}
	for _, u := range d.Users {
		byKind[u.Kind+"/"+u.Location] = u
		if u.InitialPassword == "" || u.CertPassword == "" || u.UserID == "" {
			t.Errorf("incomplete: %+v", u)
		}
	}
	if d.Users[0].UserID != d.UserID || d.Users[0].CertPath != d.CertPath {
		t.Errorf("the first user is not test05: %+v", d.Users[0])
	}
	gp := byKind["gpki/disk"]
	if !strings.HasSuffix(gp.CertPath, "_sig.cer") || !strings.Contains(gp.CertPath, filepath.Join("GPKI", "Certificate", "class2")) {
		t.Fatalf("GPKI: %+v", gp)
	}
	c, err := certstore.Load(gp.CertPath)
	if err != nil {
		t.Fatal(err)
	}
	if c.Kind != certstore.KindGPKI || c.X509.Issuer.CommonName != "CA134100031" || c.Info(c.X509.NotBefore).PolicyOID != certgen.PolicyGPKIPersonal {
		t.Errorf("GPKI certificate: kind %s, issuer %s, policy %s", c.Kind, c.X509.Issuer, c.Info(c.X509.NotBefore).PolicyOID)
	}
	if _, err := os.Stat(byKind["pkcs12/file"].CertPath); err != nil || byKind["npki/disk"].CertPath == "" {
		t.Errorf("pkcs12 %+v, npki disk %+v", byKind["pkcs12/file"], byKind["npki/disk"])
	}
	tok, haveToken := byKind["token/token"]
	if softhsm.Available() == nil {
		if !haveToken || !strings.HasPrefix(tok.CertPath, "pkcs11:token=") || tok.PKCS11Module == "" || tok.SoftHSM2Conf == "" || len(d.Notes) != 0 {
			t.Errorf("token: %+v, notes %v", tok, d.Notes)
		}
	}
	_, again, err := PrepareDemo(dir, "127.0.0.1:0", 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, u := range again.Users {
		if u != d.Users[i] {
			t.Errorf("second start: %+v, was %+v", u, d.Users[i])
		}
	}
}

// TestDemoWithoutSoftHSM: without SoftHSM2 the demo still starts, without
// the token account, and says why.
func TestDemoWithoutSoftHSM(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no softhsm2-util, no pkcs11-tool
	_, d, err := PrepareDemo(t.TempDir(), "127.0.0.1:0", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range d.Users {
		if u.Kind == "token" {
			t.Errorf("a token account without SoftHSM: %+v", u)
		}
	}
	if len(d.Users) != 4 || len(d.Notes) != 1 || !strings.Contains(d.Notes[0], "SoftHSM2") {
		t.Errorf("users %d, notes %v", len(d.Users), d.Notes)
	}
}
