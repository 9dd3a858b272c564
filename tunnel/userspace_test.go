package tunnel

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	xproxy "golang.org/x/net/proxy"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/internal/leaktest"
	"github.com/opensvpn/svpn/tunnel/proxy"
)

// TestUserspace runs the unprivileged tunnel end to end: a NewUserspace
// client handshakes with a wireguard-go gateway over loopback UDP and
// fetches the portal the gateway serves inside the tunnel, directly, by
// name, through the SOCKS5 and HTTP proxies and through a forward; then it
// moves to a new endpoint without reconnecting, and Close leaves no
// goroutine behind.
func TestUserspace(t *testing.T) {
	priv := mustKey(t)
	gw := startGateway(t, priv.Public())
	// The client reaches the gateway through a relay, a stand-in for the
	// path of the network it is on, so that path can go away later.
	path1 := startRelay(t, gw.endpoint())
	base := leaktest.Goroutines()

	logs := new(syncBuffer)
	u, err := NewUserspace(clientConfig(priv, gw, path1.addr()), debugLogger(logs))
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	check := func(how, body string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", how, err)
		}
		if !strings.Contains(body, portalText) {
			t.Fatalf("%s: page = %q, want the portal", how, body)
		}
	}

	start := time.Now()
	body, err := fetch(ctx, u.DialContext, "http://10.77.0.1/")
	check("DialContext by address", body, err)
	t.Logf("first fetch, handshake included: %v", time.Since(start))
	body, err = fetch(ctx, u.DialContext, "http://portal/")
	check("DialContext by short name (search domain)", body, err)
	body, err = fetch(ctx, u.DialContext, "http://"+portalName+"/")
	check("DialContext by full name", body, err)

	// Outside the split tunnel: refused at once, with the code that says so.
	t0 := time.Now()
	_, err = u.DialContext(ctx, "tcp", "192.0.2.1:80")
	if api.CodeOf(err) != api.CodeTunnelNotRouted {
		t.Errorf("dial outside the routes: %v, want code %s", err, api.CodeTunnelNotRouted)
	}
	if time.Since(t0) > time.Second {
		t.Errorf("dial outside the routes took %v", time.Since(t0))
	}
	if _, err := u.DialContext(ctx, "tcp", "nosuchhost:80"); err == nil {
		t.Error("dial of a name the tunnel's DNS does not know succeeded")
	}

	// The proxies svpnd serves on loopback, all dialling into the tunnel.
	pctx, stopProxies := context.WithCancel(ctx)
	var proxies sync.WaitGroup
	listen := func() net.Listener {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return ln
	}
	pln, fln := listen(), listen()
	creds, token := proxy.NewCredentials(), proxy.NewToken()
	proxies.Add(2)
	go func() {
		defer proxies.Done()
		if err := proxy.Serve(pctx, pln, u.DialContext, debugLogger(logs), creds); err != nil {
			t.Errorf("proxy.Serve: %v", err)
		}
	}()
	go func() {
		defer proxies.Done()
		if err := proxy.ServePortal(pctx, fln, u.DialContext, &url.URL{Scheme: "http", Host: "10.77.0.1:80"}, token, debugLogger(logs)); err != nil {
			t.Errorf("proxy.ServePortal: %v", err)
		}
	}()

	socks, err := xproxy.SOCKS5("tcp", pln.Addr().String(), &xproxy.Auth{User: creds.Username, Password: creds.Password}, &net.Dialer{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	socksDial := socks.(xproxy.ContextDialer).DialContext
	body, err = fetch(ctx, socksDial, "http://10.77.0.1/")
	check("SOCKS5 by address", body, err)
	body, err = fetch(ctx, socksDial, "http://portal/") // ATYP domain: resolved in the tunnel
	check("SOCKS5 by name", body, err)

	httpProxy := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{Proxy: http.ProxyURL(&url.URL{Scheme: "http", Host: pln.Addr().String(), User: url.UserPassword(creds.Username, creds.Password)}), DisableKeepAlives: true},
	}
	for _, u := range []string{"http://10.77.0.1/", "http://" + portalName + "/"} {
		resp, err := httpProxy.Get(u)
		if err != nil {
			t.Fatalf("HTTP proxy GET %s: %v", u, err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		check("HTTP proxy "+u, string(b), err)
	}
	resp, err := httpProxy.Get("http://192.0.2.1/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("HTTP proxy GET outside the routes: %s, want 403", resp.Status)
	}

	jar, _ := cookiejar.New(nil)
	portal := &http.Client{Jar: jar, Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	resp, err = portal.Get(proxy.PortalURL(fln.Addr().String(), "/", token))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	check("portal forward", string(b), err)

	st, err := u.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.LastHandshake.IsZero() || time.Since(st.LastHandshake) > time.Minute {
		t.Errorf("Stats().LastHandshake = %v, want just now", st.LastHandshake)
	}
	if st.RxBytes < uint64(len(portalPage)) || st.TxBytes == 0 {
		t.Errorf("Stats() counters = %d rx, %d tx", st.RxBytes, st.TxBytes)
	}
	if st.Endpoint != path1.addr().String() {
		t.Errorf("Stats().Endpoint = %q, want %v", st.Endpoint, path1.addr())
	}

	// The network changes: the old path goes dead and the gateway is now
	// reached another way (a new NAT, a new address). The session goes on
	// without a new login.
	relay := startRelay(t, gw.endpoint())
	path1.close()
	if err := u.UpdateEndpoint(relay.addr()); err != nil {
		t.Fatal(err)
	}
	body, err = fetch(ctx, u.DialContext, "http://10.77.0.1/")
	check("after UpdateEndpoint", body, err)
	if relay.packets.Load() == 0 {
		t.Error("after UpdateEndpoint no packet went to the new endpoint")
	}
	if st, _ := u.Stats(); st.Endpoint != relay.addr().String() {
		t.Errorf("Stats().Endpoint after UpdateEndpoint = %q, want %v", st.Endpoint, relay.addr())
	}
	if err := u.UpdateEndpoint(netip.AddrPort{}); api.CodeOf(err) != api.CodeTunnelConfig {
		t.Errorf("UpdateEndpoint(invalid) = %v", err)
	}

	stopProxies()
	proxies.Wait()
	if err := u.Close(); err != nil {
		t.Fatal(err)
	}
	if err := u.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := u.DialContext(ctx, "tcp", "10.77.0.1:80"); !errors.Is(err, errClosed) {
		t.Errorf("DialContext after Close = %v, want %v", err, errClosed)
	}
	if _, err := u.Stats(); !errors.Is(err, errClosed) {
		t.Errorf("Stats after Close = %v", err)
	}
	if err := u.UpdateEndpoint(gw.endpoint()); !errors.Is(err, errClosed) {
		t.Errorf("UpdateEndpoint after Close = %v", err)
	}
	relay.close()
	leaktest.Wait(t, base+leaktest.Slack, 10*time.Second)

	out := logs.String()
	for _, secret := range []string{priv.Base64Secret(), priv.UAPIHex()} {
		if strings.Contains(out, secret) {
			t.Fatal("the private key appears in the log")
		}
	}
}

// TestUserspaceUnreachableGateway: with no gateway behind the endpoint a
// dial fails within its context's deadline instead of hanging.
func TestUserspaceUnreachableGateway(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0") // swallows everything
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	priv := mustKey(t)
	cfg := Config{
		PrivateKey:      priv,
		Address:         clientAddr,
		ServerPublicKey: mustKey(t).Public(),
		Endpoint:        pc.LocalAddr().(*net.UDPAddr).AddrPort(),
		Routes:          []netip.Prefix{tunnelNet},
	}
	u, err := NewUserspace(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	if c, err := u.DialContext(ctx, "tcp", "10.77.0.1:80"); err == nil {
		c.Close()
		t.Fatal("dial through a tunnel without a gateway succeeded")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("dial took %v with a 1s deadline", d)
	}
	if st, err := u.Stats(); err != nil || !st.LastHandshake.IsZero() {
		t.Fatalf("Stats = %+v, %v: want no handshake", st, err)
	}
	// Without DNS servers a name cannot be resolved, and says why.
	if _, err := u.DialContext(ctx, "tcp", "portal:80"); api.CodeOf(err) != api.CodeTunnelNotRouted {
		t.Errorf("dial by name without DNS: %v", err)
	}
	if _, err := u.DialContext(ctx, "ip4:icmp", "10.77.0.1"); err == nil {
		t.Error("dial of an unsupported network succeeded")
	}
}
