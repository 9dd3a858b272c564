package gateway

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/client/gatewayapi"
	"github.com/opensvpn/svpn/wgkey"
)

// streamGateway is the demo gateway with a logged-in session.
type streamGateway struct {
	g      *Gateway
	client *gatewayapi.Client
	pool   *x509.CertPool
	token  string
}

func newStreamGateway(t *testing.T) *streamGateway {
	t.Helper()
	g, d, _ := startDemo(t)
	ctx := context.Background()
	pool := x509.NewCertPool()
	ca, _ := os.ReadFile(d.CAFile)
	pool.AppendCertsFromPEM(ca)
	client, err := gatewayapi.New(d.APIURL, gatewayapi.Options{RootCAs: pool, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := certstore.Load(filepath.Dir(d.CertPath))
	if err != nil {
		t.Fatal(err)
	}
	id, err := cert.Unlock([]byte(d.CertPassword))
	if err != nil {
		t.Fatal(err)
	}
	priv, _ := wgkey.NewPrivate()
	lc, err := client.OpenLogin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	ch, err := lc.Challenge(ctx, d.UserID, priv.Public().String())
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := api.LoginBinding{GatewayID: d.GatewayID, UserID: d.UserID, WGPublicKey: priv.Public().String(),
		Challenge: ch.Challenge, ChannelBinding: lc.ChannelBinding()}.Message()
	sig, alg, err := id.Sign(rand.Reader, msg, "")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := lc.Login(ctx, &api.LoginRequest{Challenge: ch.Challenge, UserID: d.UserID, Password: d.InitialPassword, NewPassword: "Stream-pass9!",
		Certificate: cert.X509.Raw, Signature: sig, SignatureAlgorithm: alg, WGPublicKey: priv.Public().String()})
	if err != nil {
		t.Fatal(err)
	}
	return &streamGateway{g: g, client: client, pool: pool, token: resp.SessionToken}
}

func (sg *streamGateway) refusals(reason string) float64 {
	var m dto.Metric
	sg.g.Server.streams.refusals.WithLabelValues(reason).Write(&m)
	return m.GetCounter().GetValue()
}

// A made-up token of the right shape.
const bogusToken = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

// TestStreamRefusals: every way a stream request can be wrong is refused
// with its code, and none reaches the device.
func TestStreamRefusals(t *testing.T) {
	sg := newStreamGateway(t)
	ctx := context.Background()

	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: sg.pool}}}
	req, _ := http.NewRequest("GET", "https://"+sg.g.APIAddr.String()+api.PathTunnelStream, nil)
	req.Header.Set("Authorization", "Bearer "+sg.token)
	r, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusBadRequest || sg.refusals("no_upgrade") != 1 {
		t.Fatalf("a GET without Upgrade: %s, no_upgrade %v", r.Status, sg.refusals("no_upgrade"))
	}
	for _, tok := range []string{"", "short", bogusToken + "A", strings.Repeat("!", 43)} {
		_, err := sg.client.DialStream(ctx, tok)
		if api.CodeOf(err) != api.CodeUnauthorized {
			t.Errorf("token %q: %v", tok, err)
		}
	}
	if n := sg.refusals("no_token"); n != 4 {
		t.Fatalf("no_token refusals %v, want 4", n)
	}
	if n := sg.g.Device.Streams().Stats().StreamsTotal; n != 0 {
		t.Fatalf("%d streams accepted from refused requests", n)
	}
}

// TestStreamFloodRefusedCheaply: a flood of stream requests without a
// session costs no store lookup (no token) or a bounded number of them
// (made-up tokens, per source), leaves no goroutine behind, and does not
// keep a real session from its stream.
func TestStreamFloodRefusedCheaply(t *testing.T) {
	sg := newStreamGateway(t)
	ctx := context.Background()
	before := runtime.NumGoroutine()

	const flood = 300
	var wg sync.WaitGroup
	errs := make(chan error, flood)
	for i := range flood {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok := ""
			if i%2 == 1 {
				tok = "x" // malformed: refused before any lookup
			}
			_, err := sg.client.DialStream(ctx, tok)
			errs <- err
		}()
	}
	legit, err := sg.client.DialStream(ctx, sg.token)
	wg.Wait()
	close(errs)
	if err != nil {
		t.Fatalf("the real session's stream during the flood: %v", err)
	}
	defer legit.Close()
	for err := range errs {
		if api.CodeOf(err) != api.CodeUnauthorized {
			t.Fatalf("flood request: %v", err)
		}
	}
	if n := sg.refusals("no_token"); n != flood {
		t.Fatalf("no_token refusals %v, want %d", n, flood)
	}

	// Made-up tokens: the store is asked streamFailLimit times, then the
	// source is refused without asking.
	for range streamFailLimit + 30 {
		sg.client.DialStream(ctx, bogusToken)
	}
	if n := sg.refusals("unknown_token"); n != streamFailLimit {
		t.Fatalf("store lookups for made-up tokens: %v, want %d", n, streamFailLimit)
	}
	if _, err := sg.client.DialStream(ctx, bogusToken); api.CodeOf(err) != api.CodeStreamRateLimited {
		t.Fatalf("over the budget: %v", err)
	}
	if n := sg.g.Device.Streams().Stats().Streams; n != 1 {
		t.Fatalf("%d streams open, want the real one", n)
	}
	sg.client.CloseIdleConnections()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before+10 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("goroutines: %d before, %d after", before, runtime.NumGoroutine())
	if n := runtime.NumGoroutine(); n > before+10 {
		t.Fatalf("%d goroutines after the flood, %d before", n, before)
	}
}

// TestStreamClosedWithSession: logging out closes the session's stream,
// and the token opens none afterwards; a third stream of one session
// closes the oldest.
func TestStreamClosedWithSession(t *testing.T) {
	sg := newStreamGateway(t)
	ctx := context.Background()
	var conns []io.ReadCloser
	for range 3 {
		c, err := sg.client.DialStream(ctx, sg.token)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	c0 := conns[0].(interface{ SetReadDeadline(time.Time) error })
	c0.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := conns[0].Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("the oldest of three streams: %v, want EOF", err)
	}
	if err := sg.client.Logout(ctx, sg.token); err != nil {
		t.Fatal(err)
	}
	for _, c := range conns[1:] {
		c.(interface{ SetReadDeadline(time.Time) error }).SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("a stream after logout: %v, want EOF", err)
		}
	}
	if _, err := sg.client.DialStream(ctx, sg.token); api.CodeOf(err) != api.CodeSessionEnded {
		t.Fatalf("a stream for an ended session: %v", err)
	}
	wants := []string{`svpn_gateway_transport_packets_total{direction="rx",transport="tcp"}`, `svpn_gateway_streams 0`,
		`svpn_gateway_streams_accepted_total 3`, `svpn_gateway_stream_refusals_total{reason="session_ended"} 1`}
	var metrics string
	// The client reads EOF as the gateway closes a stream; the device
	// forgets it when its reader ends, a moment later.
	waitFor(5*time.Second, func() bool {
		rec := httptest.NewRecorder()
		sg.g.Server.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		metrics = rec.Body.String()
		return !slices.ContainsFunc(wants, func(w string) bool { return !strings.Contains(metrics, w) })
	})
	for _, want := range wants {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestStreamLimitsAndNodes: beyond max_streams a stream is refused with
// stream_limit; a session whose peer is not on this node gets
// stream_wrong_node; an Upgrade to another protocol is no stream.
func TestStreamLimitsAndNodes(t *testing.T) {
	sg := newStreamGateway(t)
	ctx := context.Background()
	sg.g.Server.streams.max = 1
	c, err := sg.client.DialStream(ctx, sg.token)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := sg.client.DialStream(ctx, sg.token); api.CodeOf(err) != api.CodeStreamLimit {
		t.Fatalf("a stream beyond max_streams: %v", err)
	}
	sg.g.Server.streams.max = 10

	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: sg.pool}}}
	req, _ := http.NewRequest("GET", "https://"+sg.g.APIAddr.String()+api.PathTunnelStream, nil)
	req.Header.Set("Authorization", "Bearer "+sg.token)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	r, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusBadRequest {
		t.Fatalf("Upgrade: websocket: %s", r.Status)
	}

	// The session stays active in the store, but its peer is gone from
	// this node (as when another node holds it).
	sessions, err := sg.g.Store.ListActiveSessions(ctx)
	if err != nil || len(sessions) != 1 {
		t.Fatalf("%d sessions, %v", len(sessions), err)
	}
	sg.g.Server.mu.Lock()
	delete(sg.g.Server.live, sessions[0].ID)
	sg.g.Server.mu.Unlock()
	if _, err := sg.client.DialStream(ctx, sg.token); api.CodeOf(err) != api.CodeStreamWrongNode {
		t.Fatalf("a session of another node: %v", err)
	}
}

// TestStreamFailBudget: the per-source refusal budget opens again after
// the window, and its table of sources stays bounded.
func TestStreamFailBudget(t *testing.T) {
	r := newStreamRegistry(nil, 0)
	r.maxSources = 3
	now := time.Now()
	for range streamFailLimit {
		r.failed("a", now)
	}
	if !r.limited("a", now) || r.limited("b", now) {
		t.Fatal("the budget is per source")
	}
	if r.limited("a", now.Add(streamFailWindow+time.Second)) {
		t.Fatal("the budget did not reopen after the window")
	}
	for _, src := range []string{"b", "c", "d", "e"} {
		r.failed(src, now)
	}
	if len(r.fails) > 3 {
		t.Fatalf("%d sources tracked, bound 3", len(r.fails))
	}
	// Expired entries make room.
	r.failed("f", now.Add(2*streamFailWindow))
	if _, ok := r.fails["f"]; !ok {
		t.Fatal("a new source found no room after the others expired")
	}
}
