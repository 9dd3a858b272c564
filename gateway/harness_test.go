package gateway

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/certstore/certgen"
	"github.com/opensvpn/svpn/client/gatewayapi"
	"github.com/opensvpn/svpn/gateway/password"
	"github.com/opensvpn/svpn/gateway/store"
	"github.com/opensvpn/svpn/wgkey"
)

// clock is a settable time shared by the server and the store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// peerTable is a Peers that records the device's peer set. End-to-end tests
// use the real wireguard-go device; these tests check which peers the
// gateway asks for.
type peerTable struct {
	mu    sync.Mutex
	peers map[wgkey.Public]netip.Addr
}

func (p *peerTable) AddPeer(k wgkey.Public, a netip.Addr) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.peers[k] = a
	return nil
}

func (p *peerTable) RemovePeer(k wgkey.Public) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.peers, k)
	return nil
}

func (p *peerTable) has(k wgkey.Public) (netip.Addr, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.peers[k]
	return a, ok
}

var (
	pkiOnce sync.Once
	testPKI *certgen.PKI
	pkiErr  error
)

func sharedPKI(t testing.TB) *certgen.PKI {
	pkiOnce.Do(func() { testPKI, pkiErr = certgen.NewPKI() })
	if pkiErr != nil {
		t.Fatal(pkiErr)
	}
	return testPKI
}

// fastArgon2 keeps tests quick; the default parameters are benchmarked.
var fastArgon2 = password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

type harness struct {
	t      testing.TB
	pki    *certgen.PKI
	cfg    *Config
	st     *store.Store
	srv    *Server
	client *gatewayapi.Client
	peers  *peerTable
	clock  *clock
	dir    string
	ts     *httptest.Server

	mu       sync.Mutex
	channels map[*api.LoginRequest]*gatewayapi.LoginChannel
}

func (h *harness) baseURL() string          { return h.ts.URL }
func (h *harness) httpClient() *http.Client { return h.ts.Client() }

func writePEM(t testing.TB, path string, certs ...*x509.Certificate) {
	var b []byte
	for _, c := range certs {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func newHarness(t testing.TB, mutate func(*Config)) *harness {
	t.Helper()
	h := &harness{t: t, pki: sharedPKI(t), dir: t.TempDir(), peers: &peerTable{peers: map[wgkey.Public]netip.Addr{}},
		clock: &clock{t: time.Now().UTC()}, channels: map[*api.LoginRequest]*gatewayapi.LoginChannel{}}
	writePEM(t, filepath.Join(h.dir, "root.pem"), h.pki.Root.Cert)
	writePEM(t, filepath.Join(h.dir, "ca.pem"), h.pki.Yessign.Cert, h.pki.GPKI.Cert)
	h.cfg = &Config{
		GatewayID:     "gw-test",
		Store:         "sqlite:" + filepath.Join(h.dir, "gw.db"),
		TrustAnchors:  []string{filepath.Join(h.dir, "root.pem")},
		Intermediates: []string{filepath.Join(h.dir, "ca.pem")},
		Argon2:        fastArgon2,
		Posture:       PostureConfig{RequireAntivirus: true, InstallURL: "https://av.example.go.kr/install"},
		WG:            WireGuardConfig{Address: "10.77.0.1/24"},
		Groups:        map[string]GroupConfig{"default": {Routes: []string{"10.77.0.0/24", "192.168.10.0/24"}, DNS: []string{"10.77.0.1"}, PortalURL: "http://10.77.0.1/"}},
	}
	if mutate != nil {
		mutate(h.cfg)
	}
	h.cfg.SetDefaults()
	if err := h.cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var err error
	h.st, err = store.Open(ctx, h.cfg.Store, store.WithClock(h.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.st.Close() })
	priv, _ := wgkey.NewPrivate()
	h.srv, err = New(ctx, h.cfg, Options{Store: h.st, Peers: h.peers, PublicKey: priv.Public(), Endpoint: "127.0.0.1:51820",
		Logger: slog.New(slog.DiscardHandler), Now: h.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if h.cfg.LoginQueueBudget == 0 {
		// Tests of the login itself send bursts no node would admit on a
		// busy machine; admission control has tests of its own, which set
		// a budget (cluster_test.go).
		h.srv.admit = newAdmission(time.Microsecond, time.Hour, 1<<30)
	}
	ts := httptest.NewUnstartedServer(h.srv.Handler())
	ts.StartTLS()
	t.Cleanup(ts.Close)
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	h.ts = ts
	h.client, err = gatewayapi.New(ts.URL, gatewayapi.Options{RootCAs: pool, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// account is a user with an unlocked certificate, as svpnctl would hold it.
type account struct {
	id       string
	password string
	identity *certstore.Identity
	wg       wgkey.Private // private
}

// addUser creates an account whose registered certificate is issued by ca
// with opts, written as an NPKI folder and read back through certstore.
func (h *harness) addUser(id, pw string, mustChange bool, ca *certgen.CA, opts certgen.UserOptions) *account {
	h.t.Helper()
	a := h.userWithCertificate(id, pw, ca, opts)
	hash, err := password.Hash(pw, fastArgon2)
	if err != nil {
		h.t.Fatal(err)
	}
	err = h.st.AddUser(context.Background(), store.User{ID: id, DisplayName: opts.Name, PasswordHash: hash, MustChangePassword: mustChange,
		Cert: CertBindingOf(a.identity.Certificate.X509)})
	if err != nil {
		h.t.Fatal(err)
	}
	return a
}

var goodPosture = api.Posture{Antivirus: []api.Antivirus{{Name: "V3 Lite", Enabled: true, UpToDate: true}}}

// loginRequest builds a signed login request the way svpnd and its front
// end do together: on a login channel of its own (a TLS connection whose
// exporter the signature covers); h.send sends it there.
func (h *harness) loginRequest(a *account) *api.LoginRequest {
	h.t.Helper()
	ctx := context.Background()
	lc, err := h.client.OpenLogin(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(lc.Close)
	pub := a.wg.Public().String()
	ch, err := lc.Challenge(ctx, a.id, pub)
	if err != nil {
		h.t.Fatal(err)
	}
	req := &api.LoginRequest{Challenge: ch.Challenge, UserID: a.id, Password: a.password, Certificate: a.identity.Certificate.X509.Raw,
		WGPublicKey: pub, Posture: goodPosture, Device: api.Device{OS: "linux", ClientVersion: "test"}, VIDRandom: a.identity.VIDRandom()}
	h.mu.Lock()
	h.channels[req] = lc
	h.mu.Unlock()
	h.sign(req, a, "")
	return req
}

// binding is what req's signature must cover.
func (h *harness) binding(req *api.LoginRequest) api.LoginBinding {
	h.mu.Lock()
	lc := h.channels[req]
	h.mu.Unlock()
	return api.LoginBinding{GatewayID: h.cfg.GatewayID, UserID: req.UserID, WGPublicKey: req.WGPublicKey,
		Challenge: req.Challenge, ChannelBinding: lc.ChannelBinding()}
}

// sign (re)signs req with a's key and algorithm alg ("" = the default).
func (h *harness) sign(req *api.LoginRequest, a *account, alg api.SignatureAlgorithm) {
	h.t.Helper()
	msg, err := h.binding(req).Message()
	if err != nil {
		h.t.Fatal(err)
	}
	req.Signature, req.SignatureAlgorithm, err = a.identity.Sign(rand.Reader, msg, alg)
	if err != nil {
		h.t.Fatal(err)
	}
}

// send sends req on the login channel it was signed for.
func (h *harness) send(ctx context.Context, req *api.LoginRequest) (*api.LoginResponse, error) {
	h.mu.Lock()
	lc := h.channels[req]
	h.mu.Unlock()
	return lc.Login(ctx, req)
}

func (h *harness) login(a *account) (*api.LoginResponse, error) {
	return h.send(context.Background(), h.loginRequest(a))
}

// wantCode fails unless err is a gateway refusal with code.
func wantCode(t testing.TB, err error, code api.Code) *api.ErrorResponse {
	t.Helper()
	if got := api.CodeOf(err); got != code {
		t.Fatalf("got %v (code %q), want code %q", err, got, code)
	}
	r, _ := api.RefusalOf(err)
	return r
}
