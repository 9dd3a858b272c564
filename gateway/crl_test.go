package gateway

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore/certgen"
)

// makeCRL is a DER CRL signed by ca listing serials.
func makeCRL(t *testing.T, ca *certgen.CA, number int64, thisUpdate, nextUpdate time.Time, serials ...*big.Int) []byte {
	t.Helper()
	var entries []x509.RevocationListEntry
	for _, s := range serials {
		entries = append(entries, x509.RevocationListEntry{SerialNumber: s, RevocationTime: thisUpdate})
	}
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(number), ThisUpdate: thisUpdate, NextUpdate: nextUpdate, RevokedCertificateEntries: entries,
	}, ca.Cert, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func writeCRL(t *testing.T, der []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.crl")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// userChain issues a user certificate under ca and returns its verified
// chain (leaf, ca, root).
func userChain(t *testing.T, ca *certgen.CA, crlURL string) []*x509.Certificate {
	t.Helper()
	p := sharedPKI(t)
	u, err := ca.IssueUser(certgen.UserOptions{Name: "폐지확인", Key: p.Root.Key, CRLURL: crlURL})
	if err != nil {
		t.Fatal(err)
	}
	return []*x509.Certificate{u.Cert, ca.Cert, p.Root.Cert}
}

// crlServer serves whatever CRL was last set; nil answers 503.
type crlServer struct {
	*httptest.Server
	crl atomic.Pointer[[]byte]
}

func newCRLServer(t *testing.T) *crlServer {
	s := &crlServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := s.crl.Load()
		if b == nil {
			http.Error(w, "no CRL", http.StatusServiceUnavailable)
			return
		}
		w.Write(*b)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *crlServer) set(der []byte) { s.crl.Store(&der) }

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func wantStatus(t *testing.T, s *crlSet, chain []*x509.Certificate, now time.Time, want api.Code) {
	t.Helper()
	if got := api.CodeOf(s.status(chain, now)); got != want {
		t.Fatalf("status at %s: %v (code %q), want code %q", now.Format(time.RFC3339), s.status(chain, now), got, want)
	}
}

// TestCRLGrace: a CRL past NextUpdate is usable for crl_grace, then
// certificates of its CA are refused with certificate_revocation_unknown;
// a CA without a CRL source is not affected, and a revocation in a stale
// CRL still counts. Logs and metrics name the stale source.
func TestCRLGrace(t *testing.T) {
	p := sharedPKI(t)
	t0 := time.Now()
	ys := userChain(t, p.Yessign, "")
	revokedChain := userChain(t, p.Yessign, "")
	gpki := userChain(t, p.GPKI, "")
	path := writeCRL(t, makeCRL(t, p.Yessign, 1, t0.Add(-48*time.Hour), t0.Add(-time.Hour), revokedChain[0].SerialNumber))

	var logs syncBuffer
	cfg := &Config{CRLFiles: []string{path}}
	cfg.SetDefaults() // crl_grace: 24h
	s := newCRLSetFromConfig(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	s.reload(context.Background())

	wantStatus(t, s, ys, t0, "")                                                                 // 1h past NextUpdate, within grace
	wantStatus(t, s, ys, t0.Add(22*time.Hour), "")                                               // 23h past
	wantStatus(t, s, ys, t0.Add(23*time.Hour+time.Minute), api.CodeCertificateRevocationUnknown) // past NextUpdate + 24h
	wantStatus(t, s, revokedChain, t0, api.CodeCertificateRevoked)
	wantStatus(t, s, revokedChain, t0.Add(48*time.Hour), api.CodeCertificateRevoked) // a revocation does not go stale
	wantStatus(t, s, gpki, t0.Add(48*time.Hour), "")                                 // no CRL configured for GPKI: not checked
	if !s.revoked(revokedChain) || s.revoked(ys) {
		t.Fatal("revoked disagrees with the CRL")
	}

	// crl_grace is honoured: with 30 minutes the same CRL is already stale.
	cfg.CRLGrace = Duration(30 * time.Minute)
	short := newCRLSetFromConfig(cfg, slog.New(slog.DiscardHandler))
	short.reload(context.Background())
	wantStatus(t, short, ys, t0.Add(-31*time.Minute), "")
	wantStatus(t, short, ys, t0, api.CodeCertificateRevocationUnknown)
	// The refusal of the 24h set above logged the source at fault.
	if out := logs.String(); !strings.Contains(out, "revocation status unknown") || !strings.Contains(out, path) {
		t.Errorf("logs do not name the stale CRL %s:\n%s", path, out)
	}
	logs.mu.Lock()
	logs.b.Reset()
	logs.mu.Unlock()
	stale := newCRLSetFromConfig(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	stale.reload(context.Background()) // stale already: 1h past NextUpdate, 30m grace
	if out := logs.String(); !strings.Contains(out, "CRL out of date") || !strings.Contains(out, path) {
		t.Errorf("reload of a stale CRL does not log which one:\n%s", out)
	}

	// Metrics: the stale source is 1, named by its source.
	reg := prometheus.NewRegistry()
	reg.MustRegister(stale.collector(time.Now))
	if v := gaugeValue(t, reg, "svpn_gateway_crl_stale", path); v != 1 {
		t.Errorf("svpn_gateway_crl_stale{source=%q} = %v, want 1", path, v)
	}
	reg = prometheus.NewRegistry()
	reg.MustRegister(s.collector(time.Now))
	if v := gaugeValue(t, reg, "svpn_gateway_crl_stale", path); v != 0 {
		t.Errorf("svpn_gateway_crl_stale{source=%q} = %v within grace, want 0", path, v)
	}
}

func gaugeValue(t *testing.T, reg *prometheus.Registry, name, source string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "source" && l.GetValue() == source {
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	t.Fatalf("no %s{source=%q}", name, source)
	return 0
}

// TestCRLRefreshFailureKeepsList: when the CRL server goes away, the last
// good CRL stays in force (a revoked certificate does not become valid
// again), and once it is past NextUpdate + grace the CA's other
// certificates are refused as unknown. An older CRL served later (a
// replay) does not replace a newer one.
func TestCRLRefreshFailureKeepsList(t *testing.T) {
	p := sharedPKI(t)
	t0 := time.Now()
	revokedChain := userChain(t, p.Yessign, "")
	good := userChain(t, p.Yessign, "")
	srv := newCRLServer(t)
	srv.set(makeCRL(t, p.Yessign, 2, t0.Add(-time.Hour), t0.Add(time.Hour), revokedChain[0].SerialNumber))
	s := newCRLSet(nil, []string{srv.URL + "/yessign.crl"}, slog.New(slog.DiscardHandler))
	s.reload(context.Background())
	wantStatus(t, s, revokedChain, t0, api.CodeCertificateRevoked)
	wantStatus(t, s, good, t0, "")

	// A replayed older CRL that does not list the certificate is ignored.
	srv.set(makeCRL(t, p.Yessign, 1, t0.Add(-2*time.Hour), t0.Add(2*time.Hour)))
	s.reload(context.Background())
	wantStatus(t, s, revokedChain, t0, api.CodeCertificateRevoked)

	srv.Close()
	s.reload(context.Background())
	if s.sources[0].failures != 2 || s.sources[0].lastErr == nil {
		t.Fatalf("failures %d, last error %v", s.sources[0].failures, s.sources[0].lastErr)
	}
	wantStatus(t, s, revokedChain, t0, api.CodeCertificateRevoked)
	if !s.revoked(revokedChain) {
		t.Fatal("revoked forgot the CRL after a failed refresh")
	}
	wantStatus(t, s, good, t0, "")
	wantStatus(t, s, good, t0.Add(time.Hour+DefaultCRLGrace+time.Minute), api.CodeCertificateRevocationUnknown)
	wantStatus(t, s, revokedChain, t0.Add(time.Hour+DefaultCRLGrace+time.Minute), api.CodeCertificateRevoked)
}

// TestCRLNeverLoaded: a configured source that never loaded may be the CRL
// of any CA without a loaded CRL, so their certificates are refused as
// unknown; a certificate whose CRL distribution point names the missing
// source is refused even if another CRL of its CA is loaded.
func TestCRLNeverLoaded(t *testing.T) {
	p := sharedPKI(t)
	t0 := time.Now()
	down := newCRLServer(t) // answers 503
	missing := down.URL + "/gpki.crl"
	loaded := writeCRL(t, makeCRL(t, p.Yessign, 1, t0.Add(-time.Hour), t0.Add(time.Hour)))

	s := newCRLSet(nil, []string{missing}, slog.New(slog.DiscardHandler))
	s.reload(context.Background())
	wantStatus(t, s, userChain(t, p.GPKI, ""), t0, api.CodeCertificateRevocationUnknown)
	wantStatus(t, s, userChain(t, p.Yessign, ""), t0, api.CodeCertificateRevocationUnknown)

	s = newCRLSet([]string{loaded}, []string{missing}, slog.New(slog.DiscardHandler))
	s.reload(context.Background())
	wantStatus(t, s, userChain(t, p.GPKI, ""), t0, api.CodeCertificateRevocationUnknown) // GPKI's CRL may be the missing one
	wantStatus(t, s, userChain(t, p.Yessign, ""), t0, "")                                // yessign's CRL is loaded and fresh
	wantStatus(t, s, userChain(t, p.Yessign, missing), t0, api.CodeCertificateRevocationUnknown)

	// Once the source loads, GPKI is checked against it.
	down.set(makeCRL(t, p.GPKI, 1, t0.Add(-time.Hour), t0.Add(time.Hour)))
	s.reload(context.Background())
	wantStatus(t, s, userChain(t, p.GPKI, ""), t0, "")
	wantStatus(t, s, userChain(t, p.Yessign, missing), t0, api.CodeCertificateRevocationUnknown) // the named CRL is GPKI's
}

// TestCRLForeignSignature: a CRL that names the certificate's issuer but
// is signed by another CA (same DN, different key) revokes nothing.
func TestCRLForeignSignature(t *testing.T) {
	p := sharedPKI(t)
	t0 := time.Now()
	chain := userChain(t, p.Yessign, "")
	impostor, err := certgen.NewRootCA([]certgen.RDN{{Type: "C", Value: "kr"}, {Type: "O", Value: "yessign"}, {Type: "OU", Value: "AccreditedCA"}, {Type: "CN", Value: "yessignCA-Test Class 2"}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	der := makeCRL(t, impostor, 9, t0.Add(-time.Hour), t0.Add(time.Hour), chain[0].SerialNumber)
	l, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(l.RawIssuer, p.Yessign.Cert.RawSubject) {
		t.Fatal("the forged CRL does not name yessign exactly; the test would prove nothing")
	}
	s := newCRLSet([]string{writeCRL(t, der)}, nil, slog.New(slog.DiscardHandler))
	s.reload(context.Background())
	if s.revoked(chain) {
		t.Error("revoked believes a CRL not signed by the issuer")
	}
	wantStatus(t, s, chain, t0, "")
}

// TestCRLMetricsEndpoint: the gateway's metrics endpoint names a stale CRL.
func TestCRLMetricsEndpoint(t *testing.T) {
	p := sharedPKI(t)
	t0 := time.Now()
	path := writeCRL(t, makeCRL(t, p.Yessign, 1, t0.Add(-72*time.Hour), t0.Add(-48*time.Hour)))
	h := newHarness(t, func(c *Config) { c.CRLFiles = []string{path} })
	rec := httptest.NewRecorder()
	h.srv.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if want := `svpn_gateway_crl_stale{source="` + path + `"} 1`; !strings.Contains(rec.Body.String(), want) {
		t.Fatalf("metrics lack %s:\n%s", want, rec.Body.String())
	}
}
