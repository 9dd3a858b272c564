package gateway

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/pires/go-proxyproto"
)

func TestSourceKey(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{"192.0.2.1", "192.0.2.1"},
		{"::ffff:192.0.2.1", "192.0.2.1"}, // IPv4-mapped: the IPv4 address
		{"2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"}, // same /64, same key
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"}, // next /64, another key
		{"fe80::1%eth0", "fe80::/64"},
		{"::1", "::/64"},
	} {
		if got := sourceKey(netip.MustParseAddr(tc.addr)); got != tc.want {
			t.Errorf("sourceKey(%s) = %q, want %q", tc.addr, got, tc.want)
		}
	}
	for _, tc := range []struct{ remote, want string }{
		{"192.0.2.1:443", "192.0.2.1"},
		{"[::ffff:192.0.2.1]:443", "192.0.2.1"},
		{"[2001:db8:1:2::5]:50000", "2001:db8:1:2::/64"},
		{"[fe80::1%eth0]:1", "fe80::/64"},
		{"pipe", "pipe"},
	} {
		r := &http.Request{RemoteAddr: tc.remote}
		if got := clientSource(r); got != tc.want {
			t.Errorf("clientSource(RemoteAddr %q) = %q, want %q", tc.remote, got, tc.want)
		}
	}
}

func TestParseTrustedProxies(t *testing.T) {
	got, err := parseTrustedProxies([]string{"10.0.0.0/8", "192.0.2.7", "2001:db8::/32", "::ffff:172.16.0.0/108"})
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"),
		netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("172.16.0.0/12")}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for _, bad := range []string{"10.0.0.1/8", "lb.example", "10.0.0.0/33", ""} {
		if _, err := parseTrustedProxies([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	c := &Config{GatewayID: "gw", Store: "sqlite:x", TrustAnchors: []string{"x"}, TrustedProxies: []string{"10.0.0.1/8"}}
	c.SetDefaults()
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "trusted_proxies") {
		t.Fatalf("Validate: %v", err)
	}
}

// proxyTestServer serves, over TLS on a listener wrapped like the
// gateway's API listener (proxyListener under TLSConfig), the request's
// RemoteAddr and clientSource.
func proxyTestServer(t *testing.T, trusted []netip.Prefix) (addr string, roots *x509.CertPool) {
	t.Helper()
	rsaCert, _, roots := testServerCerts(t)
	ln := listenLoopback(t)
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "%s %s", r.RemoteAddr, clientSource(r))
		}),
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          slog.NewLogLogger(slog.DiscardHandler, slog.LevelError),
	}
	go srv.Serve(tls.NewListener(proxyListener(ln, trusted), TLSConfig(rsaCert)))
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), roots
}

// proxyGet connects to addr, sends header (if any) in the clear, then
// makes a GET over TLS and returns the body.
func proxyGet(addr string, roots *x509.CertPool, header *proxyproto.Header) (string, error) {
	raw, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(10 * time.Second))
	if header != nil {
		if _, err := header.WriteTo(raw); err != nil {
			return "", err
		}
	}
	c := tls.Client(raw, &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"})
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n"); err != nil {
		return "", err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func proxyHeader(version byte, src string) *proxyproto.Header {
	return proxyproto.HeaderProxyFromAddrs(version, net.TCPAddrFromAddrPort(netip.MustParseAddrPort(src)),
		net.TCPAddrFromAddrPort(netip.MustParseAddrPort("198.51.100.1:443")))
}

// TestProxyProtocol: a PROXY header (v1 or v2) from a trusted peer sets
// the request's RemoteAddr, and so its source key; from an untrusted peer
// it closes the connection; without trusted_proxies it is never
// interpreted.
func TestProxyProtocol(t *testing.T) {
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	elsewhere := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("2001:db8::/32")}

	addr, roots := proxyTestServer(t, loopback)
	for _, tc := range []struct {
		name   string
		header *proxyproto.Header
		want   string
	}{
		{"v1 IPv4", proxyHeader(1, "203.0.113.7:5555"), "203.0.113.7:5555 203.0.113.7"},
		{"v2 IPv4", proxyHeader(2, "203.0.113.8:6666"), "203.0.113.8:6666 203.0.113.8"},
		{"v1 IPv6", proxyHeader(1, "[2001:db8:1:2::99]:5555"), "[2001:db8:1:2::99]:5555 2001:db8:1:2::/64"},
		{"v2 IPv6", proxyHeader(2, "[2001:db8:1:2::100]:7777"), "[2001:db8:1:2::100]:7777 2001:db8:1:2::/64"},
	} {
		got, err := proxyGet(addr, roots, tc.header)
		if err != nil || got != tc.want {
			t.Errorf("trusted peer, %s: got %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
	// A trusted proxy must send the header: without one, the first bytes
	// could be a client's forged header passed through.
	if got, err := proxyGet(addr, roots, nil); err == nil {
		t.Errorf("trusted peer without a header served: %q", got)
	}

	addr, roots = proxyTestServer(t, elsewhere)
	for _, v := range []byte{1, 2} {
		if got, err := proxyGet(addr, roots, proxyHeader(v, "203.0.113.7:5555")); err == nil {
			t.Errorf("untrusted peer, v%d header: served %q", v, got)
		}
	}
	if got, err := proxyGet(addr, roots, nil); err != nil || !strings.HasPrefix(got, "127.0.0.1:") || !strings.HasSuffix(got, " 127.0.0.1") {
		t.Errorf("untrusted peer without a header: %q, %v; want it served as itself", got, err)
	}

	addr, roots = proxyTestServer(t, nil)
	for _, v := range []byte{1, 2} {
		if got, err := proxyGet(addr, roots, proxyHeader(v, "203.0.113.7:5555")); err == nil {
			t.Errorf("PROXY protocol off, v%d header: served %q", v, got)
		}
	}
	if got, err := proxyGet(addr, roots, nil); err != nil || !strings.HasSuffix(got, " 127.0.0.1") {
		t.Errorf("PROXY protocol off, no header: %q, %v", got, err)
	}
}

// TestStartListenerStack: the gateway's API listener (Start) reads a
// PROXY header from a trusted proxy before TLS, requires it from that
// proxy, and speaks TLS with TLSConfig (a CBC-only client is refused).
func TestStartListenerStack(t *testing.T) {
	dir := t.TempDir()
	cfg, _, err := PrepareDemo(dir, "127.0.0.1:0", 0)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Argon2 = fastArgon2
	cfg.TrustedProxies = []string{"127.0.0.1"}
	g, err := Start(context.Background(), cfg, StartOptions{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	addr := g.APIAddr.String()
	get := func(header *proxyproto.Header, suites []uint16) (int, error) {
		raw, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			return 0, err
		}
		defer raw.Close()
		raw.SetDeadline(time.Now().Add(10 * time.Second))
		if header != nil {
			header.WriteTo(raw)
		}
		c := tls.Client(raw, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12, CipherSuites: suites})
		if _, err := io.WriteString(c, "GET /api/v1/info HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n"); err != nil {
			return 0, err
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	if code, err := get(proxyHeader(2, "203.0.113.7:5555"), nil); err != nil || code != http.StatusOK {
		t.Fatalf("through the trusted proxy: %d, %v", code, err)
	}
	if code, err := get(nil, nil); err == nil {
		t.Fatalf("trusted proxy without a header: served (%d)", code)
	}
	if code, err := get(proxyHeader(1, "203.0.113.7:5555"), []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA}); err == nil {
		t.Fatalf("a CBC-only client was served (%d)", code)
	}
}
