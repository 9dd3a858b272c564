package engine_test

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"log/slog"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/client/engine"
	"github.com/opensvpn/svpn/client/gatewayapi"
	"github.com/opensvpn/svpn/gateway"
	"github.com/opensvpn/svpn/gateway/password"
	"github.com/opensvpn/svpn/tunnel"
)

// setup starts the demo gateway in-process and an engine against it.
func setup(t *testing.T, mutate ...func(*gateway.Config)) (*engine.Engine, *gateway.Demo, *certstore.Identity) {
	eng, d, id, _ := setupGateway(t, mutate...)
	return eng, d, id
}

func setupGateway(t *testing.T, mutate ...func(*gateway.Config)) (*engine.Engine, *gateway.Demo, *certstore.Identity, *gateway.Gateway) {
	t.Helper()
	dir := t.TempDir()
	cfg, d, err := gateway.PrepareDemo(dir, "127.0.0.1:0", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mutate {
		m(cfg)
	}
	cfg.Argon2 = password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	quiet := slog.New(slog.DiscardHandler)
	g, err := gateway.Start(context.Background(), cfg, gateway.StartOptions{Logger: quiet, Portal: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	d.InitialPassword = "Engine-pass9!"
	hash, _ := password.Hash(d.InitialPassword, cfg.Argon2)
	if err := gateway.EnsureDemoUser(context.Background(), g.Store, d, cfg.Argon2); err != nil {
		t.Fatal(err)
	}
	if err := g.Store.SetPassword(context.Background(), d.UserID, hash, false); err != nil {
		t.Fatal(err)
	}
	eng := newEngine(t, d, g, func(c tunnel.Config) (tunnel.Tunnel, error) { return tunnel.NewUserspace(c, quiet) })
	c, err := certstore.Load(d.CertPath)
	if err != nil {
		t.Fatal(err)
	}
	id, err := c.Unlock([]byte(d.CertPassword))
	if err != nil {
		t.Fatal(err)
	}
	return eng, d, id, g
}

// newEngine returns an engine (userspace, quiet) for the demo gateway g,
// bringing tunnels up with newTunnel; it is closed when the test ends.
func newEngine(t *testing.T, d *gateway.Demo, g *gateway.Gateway, newTunnel engine.NewTunnelFunc) *engine.Engine {
	t.Helper()
	return newEngineTuned(t, d, g, func(o *engine.Options) { o.NewTunnel = newTunnel })
}

// newEngineTuned returns an engine for the demo gateway g: userspace,
// quiet, trusting the demo's CA, with userspace tunnels, then its options
// adjusted by tune. It is closed when the test ends.
func newEngineTuned(t *testing.T, d *gateway.Demo, g *gateway.Gateway, tune func(*engine.Options)) *engine.Engine {
	t.Helper()
	pem, _ := os.ReadFile(d.CAFile)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	url := "https://" + g.APIAddr.String()
	gw, err := gatewayapi.New(url, gatewayapi.Options{RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	o := engine.Options{
		Profile: &api.Profile{Name: "test", GatewayURL: url, GatewayID: d.GatewayID}, Gateway: gw, Userspace: true,
		Logger:    quiet,
		NewTunnel: func(c tunnel.Config) (tunnel.Tunnel, error) { return tunnel.NewUserspace(c, quiet) },
	}
	tune(&o)
	eng := engine.New(o)
	t.Cleanup(func() { eng.Close() })
	return eng
}

func login(t *testing.T, eng *engine.Engine, who engine.Caller, d *gateway.Demo, id *certstore.Identity) (api.Status, error) {
	t.Helper()
	ctx := context.Background()
	begin, err := eng.BeginLogin(ctx, who, d.UserID)
	if err != nil {
		return api.Status{}, err
	}
	msg, _ := begin.Binding.Message()
	sig, alg, err := id.Sign(rand.Reader, msg, "")
	if err != nil {
		t.Fatal(err)
	}
	return eng.FinishLogin(ctx, who, &api.LoginFinishRequest{LoginID: begin.LoginID, Password: d.InitialPassword,
		Certificate: id.Certificate.X509.Raw, Signature: sig, SignatureAlgorithm: alg})
}

// TestOwnerControlsSession: the user who started a session controls it;
// another local user may read its status but not end it; an administrator
// may.
func TestOwnerControlsSession(t *testing.T) {
	eng, d, id := setup(t)
	alice, bob, admin := engine.Caller{UID: "1000"}, engine.Caller{UID: "1001"}, engine.Caller{UID: "0", Admin: true}

	// Watch the states go by while logging in.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var states []api.State
	loggedOut := make(chan struct{}) // the watcher saw the final disconnected state
	ch := eng.Watch(ctx)
	go func() {
		for st := range ch {
			mu.Lock()
			if len(states) == 0 || states[len(states)-1] != st.State {
				states = append(states, st.State)
			}
			if st.State == api.StateDisconnected && slices.Contains(states, api.StateConnected) && st.EndReason != "" {
				select {
				case <-loggedOut:
				default:
					close(loggedOut)
				}
			}
			mu.Unlock()
		}
	}()

	st, err := login(t, eng, alice, d, id)
	if err != nil {
		t.Fatal(err)
	}
	if st.State != api.StateConnected {
		t.Fatalf("state %s", st.State)
	}
	if _, err := eng.Logout(context.Background(), bob); api.CodeOf(err) != api.CodeForbidden {
		t.Fatalf("another user's logout: %v", err)
	}
	if _, err := eng.BeginLogin(context.Background(), bob, d.UserID); api.CodeOf(err) != api.CodeAlreadyActive {
		t.Fatalf("another user's login over an active session: %v", err)
	}
	if got := eng.Status(); got.State != api.StateConnected {
		t.Fatalf("status readable by anyone, got %s", got.State)
	}
	if c := eng.Diagnostics(context.Background()).Certificate; c == nil || c.Name != "홍길동" || c.Serial == "" {
		t.Fatalf("diagnostics certificate %+v", c)
	}
	if _, err := eng.Logout(context.Background(), admin); err != nil {
		t.Fatalf("administrator's logout: %v", err)
	}
	select { // the watcher is given the newest status: wait for it to arrive
	case <-loggedOut:
	case <-time.After(10 * time.Second):
		t.Fatal("the watcher never saw the logout")
	}
	mu.Lock()
	defer mu.Unlock()
	// A watcher is given the newest status, so quick intermediate states
	// (authenticating, connecting) may be coalesced away; the ones that
	// last must be seen, in order.
	order := []api.State{api.StateDisconnected, api.StateAuthenticating, api.StateConnecting, api.StateConnected, api.StateDisconnected}
	i := 0
	for _, st := range states {
		for i < len(order) && order[i] != st {
			i++
		}
		if i == len(order) {
			t.Fatalf("watch saw %v: out of order", states)
		}
		i++
	}
	for _, want := range []api.State{api.StateConnected, api.StateDisconnected} {
		if !slices.Contains(states, want) {
			t.Errorf("watch saw %v, missing %s", states, want)
		}
	}
}

// TestLoginIDIsBoundToItsCaller: a login started by one user cannot be
// finished by another.
func TestLoginIDIsBoundToItsCaller(t *testing.T) {
	eng, d, id := setup(t)
	ctx := context.Background()
	begin, err := eng.BeginLogin(ctx, engine.Caller{UID: "1000"}, d.UserID)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := begin.Binding.Message()
	sig, alg, _ := id.Sign(rand.Reader, msg, "")
	_, err = eng.FinishLogin(ctx, engine.Caller{UID: "1001"}, &api.LoginFinishRequest{LoginID: begin.LoginID, Password: d.InitialPassword,
		Certificate: id.Certificate.X509.Raw, Signature: sig, SignatureAlgorithm: alg})
	if api.CodeOf(err) != api.CodeForbidden {
		t.Fatalf("finishing another user's login: %v", err)
	}
	for _, s := range eng.Secrets() {
		if s == "" {
			t.Fatal("empty secret")
		}
	}
}

// TestExpiryWarning: a session close to its absolute expiry is flagged to
// watchers after a heartbeat, so front ends can warn the user.
func TestExpiryWarning(t *testing.T) {
	eng, d, id := setup(t, func(c *gateway.Config) {
		c.SessionLifetime = gateway.Duration(5 * time.Minute)
		c.HeartbeatInterval = gateway.Duration(time.Second)
	})
	if _, err := login(t, eng, engine.Caller{UID: "1000"}, d, id); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for st := range eng.Watch(ctx) {
		if st.ExpiringSoon && st.State == api.StateConnected {
			return
		}
	}
	t.Fatal("no expiring-soon status within 10 s")
}

// TestNetworkChangeChecksAtOnce: after a network change the engine checks
// the session immediately instead of at the next heartbeat (a minute away
// here): with the gateway gone, the state turns to reconnecting at once.
func TestNetworkChangeChecksAtOnce(t *testing.T) {
	eng, d, id, g := setupGateway(t, func(c *gateway.Config) { c.HeartbeatInterval = gateway.Duration(time.Minute) })
	if _, err := login(t, eng, engine.Caller{UID: "1000"}, d, id); err != nil {
		t.Fatal(err)
	}
	g.Close()
	eng.NetworkChanged()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for st := range eng.Watch(ctx) {
		if st.State == api.StateReconnecting {
			return
		}
	}
	t.Fatal("the network change did not trigger a session check")
}
