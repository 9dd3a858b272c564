package gateway

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/certstore/certgen"
	"github.com/opensvpn/svpn/gateway/store"
)

// TestCRLRevocation: a certificate listed in a CRL file signed by its CA is
// refused; the same CRL signed by another CA is ignored.
func TestCRLRevocation(t *testing.T) {
	p := sharedPKI(t)
	key := p.Root.Key
	revokedUser, err := p.Yessign.IssueUser(certgen.UserOptions{Name: "폐지", Key: key})
	if err != nil {
		t.Fatal(err)
	}
	crlPath := filepath.Join(t.TempDir(), "yessign.crl")
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(1), ThisUpdate: time.Now().Add(-time.Hour), NextUpdate: time.Now().Add(24 * time.Hour),
		RevokedCertificateEntries: []x509.RevocationListEntry{{SerialNumber: revokedUser.Cert.SerialNumber, RevocationTime: time.Now()}},
	}, p.Yessign.Cert, p.Yessign.Key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(crlPath, pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, func(c *Config) { c.CRLFiles = []string{crlPath} })
	a := h.addUserCert("crl01", "Right-pass9!", revokedUser)
	_, err = h.login(a)
	wantCode(t, err, api.CodeCertificateRevoked)
	b := h.addUser("crl02", "Right-pass9!", false, nil, certgen.UserOptions{Name: "정상", Key: key})
	if _, err := h.login(b); err != nil {
		t.Fatalf("a certificate not on the CRL: %v", err)
	}
}

// addUserCert registers an account for an already issued certificate.
func (h *harness) addUserCert(id, pw string, u *certgen.User) *account {
	h.t.Helper()
	dir, err := u.WriteNPKI(filepath.Join(h.t.TempDir(), "NPKI"), "cert-pw-1!", certstore.SchemeSEEDLegacy)
	if err != nil {
		h.t.Fatal(err)
	}
	c, _ := certstore.Load(dir)
	ident, err := c.Unlock([]byte("cert-pw-1!"))
	if err != nil {
		h.t.Fatal(err)
	}
	hash, _ := h.srv.hash.hash(context.Background(), pw, fastArgon2)
	if err := h.st.AddUser(context.Background(), store.User{ID: id, PasswordHash: hash,
		Cert: store.CertBinding{Serial: serialHex(u.Cert.SerialNumber)}}); err != nil {
		h.t.Fatal(err)
	}
	a := &account{id: id, password: pw, identity: ident, wg: mustKey(h.t)}
	return a
}

// TestBindOnFirstLogin: an unbound account adopts the first valid
// certificate and refuses any other afterwards.
func TestBindOnFirstLogin(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.BindOnFirstLogin = true })
	a := h.addUser("bind01", "Right-pass9!", false, nil, certgen.UserOptions{Name: "바인드", Key: h.pki.Root.Key})
	if err := h.st.BindCertificate(context.Background(), a.id, store.CertBinding{}); err != nil {
		t.Fatal(err)
	}
	if u, _ := h.st.GetUser(context.Background(), a.id); !u.Cert.IsZero() {
		t.Fatal("the account should start unbound")
	}
	if _, err := h.login(a); err != nil {
		t.Fatal(err)
	}
	u, _ := h.st.GetUser(context.Background(), a.id)
	if u.Cert.Serial != serialHex(a.identity.Certificate.X509.SerialNumber) {
		t.Fatalf("bound to %+v", u.Cert)
	}
	other := h.addUser("bind02", "Other-pass9!", false, nil, certgen.UserOptions{Name: "다른", Key: h.pki.Root.Key})
	other.id, other.password = a.id, a.password // the first user's account, another certificate
	_, err := h.login(other)
	wantCode(t, err, api.CodeCertificateNotRegistered)
}

// TestECDSALogin: EC certificates sign with ECDSA and are accepted.
func TestECDSALogin(t *testing.T) {
	h := newHarness(t, nil)
	a := h.addUser("ec01", "Right-pass9!", false, nil, certgen.UserOptions{Name: "타원", ECDSA: true})
	req := h.loginRequest(a)
	if req.SignatureAlgorithm != api.SigECDSASHA256 {
		t.Fatalf("algorithm %s", req.SignatureAlgorithm)
	}
	if _, err := h.send(context.Background(), req); err != nil {
		t.Fatal(err)
	}
}

// TestMetrics: the Prometheus endpoint counts logins by result and sessions.
func TestMetrics(t *testing.T) {
	h := newHarness(t, nil)
	a := h.addUser("met01", "Right-pass9!", false, nil, certgen.UserOptions{Name: "측정", Key: h.pki.Root.Key})
	if _, err := h.login(a); err != nil {
		t.Fatal(err)
	}
	a.password = "wrong"
	h.login(a)
	srv := &http.Server{Handler: h.srv.MetricsHandler()}
	ln := listenLoopback(t)
	go srv.Serve(ln)
	defer srv.Close()
	resp, err := http.Get("http://" + ln.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`svpn_gateway_logins_total{result="ok"} 1`,
		`svpn_gateway_logins_total{result="bad_credentials"} 1`,
		`svpn_gateway_active_sessions 1`,
		`svpn_gateway_login_duration_seconds_count 2`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	// Asked again (a second listener, a test polling), it is the same
	// handler: registering the collectors twice would panic.
	rec := httptest.NewRecorder()
	h.srv.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), "svpn_gateway_active_sessions 1") {
		t.Errorf("second handler: %.200s", rec.Body.String())
	}
}
