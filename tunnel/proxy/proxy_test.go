package proxy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	xproxy "golang.org/x/net/proxy"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/internal/leaktest"
)

const pageText = "행정포탈 — 원격근무서비스"

// testCreds are the proxy credentials of the tests' proxies.
var testCreds = Credentials{Username: "svpn", Password: "s3cret-0f-this-session"}

// userPass is the RFC 1929 request for testCreds.
func userPass(user, pass string) []byte {
	b := append([]byte{1, byte(len(user))}, user...)
	b = append(b, byte(len(pass)))
	return append(b, pass...)
}

// backend answers every request with the page, the method, the body and
// the headers it received, so tests can see what the proxy forwarded.
func backend() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Keep-Alive", "timeout=5") // hop-by-hop: must not reach the client
		fmt.Fprintf(w, "%s\nmethod=%s\nbody=%s\n", pageText, r.Method, body)
		for _, h := range []string{"Proxy-Authorization", "Proxy-Connection", "X-Hop", "X-Kept"} {
			if v := r.Header.Get(h); v != "" {
				fmt.Fprintf(w, "header %s=%s\n", h, v)
			}
		}
	})
}

// direct dials the host network, as the tests' stand-in for the tunnel.
func direct(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// startServe runs Serve on a loopback port until the test ends, and checks
// that it returns promptly when told to.
func startServe(t *testing.T, dial DialFunc) (addr string, stop func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, dial, nil, testCreds) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve returned %v after cancel, want nil", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Serve did not return within 5s of cancel")
		}
	}
	t.Cleanup(stop)
	return ln.Addr().String(), stop
}

func httpClientVia(proxyAddr string) *http.Client {
	u := &url.URL{Scheme: "http", Host: proxyAddr, User: url.UserPassword(testCreds.Username, testCreds.Password)}
	return &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{Proxy: http.ProxyURL(u), DisableKeepAlives: true},
	}
}

func socksClient(t *testing.T, proxyAddr string) *http.Client {
	t.Helper()
	d, err := xproxy.SOCKS5("tcp", proxyAddr, &xproxy.Auth{User: testCreds.Username, Password: testCreds.Password}, &net.Dialer{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			DialContext:       d.(xproxy.ContextDialer).DialContext,
			DisableKeepAlives: true,
		},
	}
}

func get(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", u, resp.Status, b)
	}
	return string(b)
}

func TestSOCKS5Connect(t *testing.T) {
	srv := httptest.NewServer(backend())
	defer srv.Close()
	paddr, _ := startServe(t, direct)
	c := socksClient(t, paddr)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	for _, u := range []string{
		srv.URL + "/ip",                  // ATYP IPv4
		"http://localhost:" + port + "/", // ATYP domain: the proxy resolves
	} {
		if body := get(t, c, u); !strings.Contains(body, pageText) {
			t.Errorf("GET %s via SOCKS5 = %q", u, body)
		}
	}
}

func TestSOCKS5IPv6(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: backend()}}
	srv.Start()
	defer srv.Close()
	paddr, _ := startServe(t, direct)
	if body := get(t, socksClient(t, paddr), srv.URL+"/"); !strings.Contains(body, pageText) {
		t.Errorf("GET via SOCKS5 over IPv6 = %q", body)
	}
}

// socksExchange sends raw bytes to the proxy and returns everything it
// answers before closing.
func socksExchange(t *testing.T, paddr string, send []byte) []byte {
	t.Helper()
	c, err := net.DialTimeout("tcp", paddr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(send); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, net.ErrClosed) && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("reading the reply: %v", err)
	}
	return b
}

func TestSOCKS5Refusals(t *testing.T) {
	refused, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedPort := refused.Addr().(*net.TCPAddr).Port
	refused.Close() // nothing listens there now

	notRouted := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if strings.HasPrefix(addr, "192.0.2.") {
			return nil, api.Errorf(api.CodeTunnelNotRouted, "%s is not routed through the tunnel", addr)
		}
		return direct(ctx, network, addr)
	}
	paddr, _ := startServe(t, notRouted)
	greet := append([]byte{5, 1, 2}, userPass(testCreds.Username, testCreds.Password)...)
	ok := []byte{5, 2, 1, 0}
	connect := func(atyp byte, addr []byte, port int) []byte {
		return append(append([]byte{5, 1, 0, atyp}, addr...), byte(port>>8), byte(port))
	}
	for _, tc := range []struct {
		name string
		send []byte
		want []byte // prefix of the answer
	}{
		{"only no-authentication offered", []byte{5, 1, 0}, []byte{5, 0xff}},
		{"no methods", []byte{5, 0}, []byte{5, 0xff}},
		{"wrong password", append([]byte{5, 1, 2}, userPass(testCreds.Username, "guess")...), []byte{5, 2, 1, 1}},
		{"wrong user", append([]byte{5, 1, 2}, userPass("root", testCreds.Password)...), []byte{5, 2, 1, 1}},
		{"empty credentials", append([]byte{5, 2, 0, 2}, userPass("", "")...), []byte{5, 2, 1, 1}},
		{"wrong sub-negotiation version", []byte{5, 1, 2, 5, 4, 's', 'v', 'p', 'n', 0}, []byte{5, 2, 1, 1}},
		{"BIND", append(greet, 5, 2, 0, 1, 127, 0, 0, 1, 0, 80), append(ok, 5, socksCmdNotSupported)},
		{"UDP ASSOCIATE", append(greet, 5, 3, 0, 1, 127, 0, 0, 1, 0, 80), append(ok, 5, socksCmdNotSupported)},
		{"unknown address type", append(greet, 5, 1, 0, 9, 1, 2, 3, 4), append(ok, 5, socksAtypNotSupported)},
		{"empty domain", append(greet, 5, 1, 0, 3, 0, 0, 80), append(ok, 5, socksHostUnreachable)},
		{"port 0", append(greet, connect(1, []byte{127, 0, 0, 1}, 0)...), append(ok, 5, socksHostUnreachable)},
		{"refused", append(greet, connect(1, []byte{127, 0, 0, 1}, refusedPort)...), append(ok, 5, socksConnRefused)},
		{"not routed", append(greet, connect(1, []byte{192, 0, 2, 7}, 80)...), append(ok, 5, socksNotAllowed)},
		{"wrong version in request", append(greet, 4, 1, 0, 1, 127, 0, 0, 1, 0, 80), append(ok, 5, socksGeneralFailure)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := socksExchange(t, paddr, tc.send)
			if !bytes.HasPrefix(got, tc.want) {
				t.Fatalf("answer % x, want prefix % x", got, tc.want)
			}
		})
	}
}

func TestHTTPProxyForward(t *testing.T) {
	srv := httptest.NewServer(backend())
	defer srv.Close()
	paddr, _ := startServe(t, direct)
	c := httpClientVia(paddr)

	if body := get(t, c, srv.URL+"/page?x=1"); !strings.Contains(body, pageText) || !strings.Contains(body, "method=GET") {
		t.Errorf("GET via HTTP proxy = %q", body)
	}

	// POST with a body, hop-by-hop headers the proxy must drop and one it
	// must keep.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/submit", strings.NewReader("결재=승인"))
	// (The client sends Proxy-Authorization from the proxy URL: it must
	// not reach the server either.)
	req.Header.Set("Connection", "X-Hop")
	req.Header.Set("X-Hop", "dropped")
	req.Header.Set("X-Kept", "kept")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	body := string(b)
	if !strings.Contains(body, "method=POST") || !strings.Contains(body, "body=결재=승인") {
		t.Errorf("POST via HTTP proxy = %q", body)
	}
	if !strings.Contains(body, "header X-Kept=kept") {
		t.Errorf("end-to-end header lost: %q", body)
	}
	for _, h := range []string{"Proxy-Authorization", "X-Hop"} {
		if strings.Contains(body, "header "+h) {
			t.Errorf("hop-by-hop header %s reached the server: %q", h, body)
		}
	}
	if resp.Header.Get("Keep-Alive") != "" {
		t.Errorf("hop-by-hop response header Keep-Alive reached the client")
	}

	// A server that does not exist: 502, not a hang.
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	deadAddr := dead.Addr().String()
	dead.Close()
	resp, err = c.Get("http://" + deadAddr + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway {
		t.Errorf("GET of a closed port: %s, want 502", resp.Status)
	}
}

func TestHTTPProxyConnect(t *testing.T) {
	srv := httptest.NewTLSServer(backend())
	defer srv.Close()
	paddr, _ := startServe(t, direct)
	c := httpClientVia(paddr)
	tr := c.Transport.(*http.Transport)
	tr.TLSClientConfig = &tls.Config{RootCAs: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}
	if body := get(t, c, srv.URL+"/secure"); !strings.Contains(body, pageText) {
		t.Errorf("HTTPS via CONNECT = %q", body)
	}
}

func TestHTTPProxyBadRequests(t *testing.T) {
	paddr, _ := startServe(t, direct)
	auth := "Proxy-Authorization: " + basic(testCreds.Username, testCreds.Password) + "\r\n"
	for _, tc := range []struct {
		name, send string
		want       int
	}{
		{"origin-form", "GET /index.html HTTP/1.1\r\nHost: example\r\n" + auth + "\r\n", 400},
		{"https absolute", "GET https://example/ HTTP/1.1\r\nHost: example\r\n" + auth + "\r\n", 400},
		{"garbage", "HELLO\r\n\r\n", 400},
		{"CONNECT without port", "CONNECT example HTTP/1.1\r\nHost: example\r\n" + auth + "\r\n", 400},
		{"no Proxy-Authorization", "GET http://example/ HTTP/1.1\r\nHost: example\r\n\r\n", 407},
		{"CONNECT without Proxy-Authorization", "CONNECT example:443 HTTP/1.1\r\nHost: example:443\r\n\r\n", 407},
		{"wrong password", "GET http://example/ HTTP/1.1\r\nHost: example\r\nProxy-Authorization: " + basic(testCreds.Username, "guess") + "\r\n\r\n", 407},
		{"not Basic", "GET http://example/ HTTP/1.1\r\nHost: example\r\nProxy-Authorization: Bearer " + testCreds.Password + "\r\n\r\n", 407},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.DialTimeout("tcp", paddr, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			io.WriteString(c, tc.send)
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
}

// echoServer echoes every connection until the test ends.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return ln.Addr().String()
}

// TestServeStopsEverything leaves connections open in every state (idle
// before the request, relaying through CONNECT, relaying through SOCKS5)
// and checks that cancelling ends them all, that Serve returns only then,
// and that no goroutine is left.
func TestServeStopsEverything(t *testing.T) {
	echo := echoServer(t)
	base := leaktest.Goroutines()
	paddr, stop := startServe(t, direct)

	var conns []net.Conn
	dial := func() net.Conn {
		c, err := net.DialTimeout("tcp", paddr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		conns = append(conns, c)
		return c
	}
	dial() // says nothing
	hc := dial()
	fmt.Fprintf(hc, "CONNECT %s HTTP/1.1\r\nHost: %s\r\nProxy-Authorization: %s\r\n\r\n", echo, echo, basic(testCreds.Username, testCreds.Password))
	br := bufio.NewReader(hc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("CONNECT: %v %v", resp, err)
	}
	io.WriteString(hc, "ping")
	if b := make([]byte, 4); func() error { _, err := io.ReadFull(br, b); return err }() != nil || string(b) != "ping" {
		t.Fatalf("CONNECT relay did not echo")
	}
	d, _ := xproxy.SOCKS5("tcp", paddr, &xproxy.Auth{User: testCreds.Username, Password: testCreds.Password}, &net.Dialer{Timeout: 5 * time.Second})
	sc, err := d.Dial("tcp", echo)
	if err != nil {
		t.Fatal(err)
	}
	sc.SetDeadline(time.Now().Add(10 * time.Second))
	conns = append(conns, sc)

	stop()
	for i, c := range conns {
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Errorf("connection %d still open after Serve returned", i)
		}
		c.Close()
	}
	leaktest.Wait(t, base+leaktest.Slack, 5*time.Second)
}

func TestServeReturnsListenerError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- Serve(context.Background(), ln, direct, nil, testCreds) }()
	time.Sleep(10 * time.Millisecond)
	ln.Close() // closed by someone else: Serve must not spin
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Serve = %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after its listener was closed")
	}
}

func FuzzReadSOCKSRequest(f *testing.F) {
	f.Add([]byte{5, 1, 0, 1, 10, 77, 0, 1, 0, 80})
	f.Add([]byte{5, 1, 0, 3, 6, 'p', 'o', 'r', 't', 'a', 'l', 1, 187})
	f.Add([]byte{5, 1, 0, 4, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 80})
	f.Add([]byte{5, 2, 0, 9})
	f.Fuzz(func(t *testing.T, b []byte) {
		addr, rep, err := readSOCKSRequest(bytes.NewReader(b))
		if err != nil {
			if addr != "" {
				t.Fatalf("address %q with error %v", addr, err)
			}
			return
		}
		if rep != socksSucceeded {
			t.Fatalf("reply %d without an error", rep)
		}
		host, port, err := net.SplitHostPort(addr)
		if err != nil || host == "" || port == "0" || port == "" {
			t.Fatalf("address %q does not split: %v", addr, err)
		}
	})
}

func FuzzSOCKSNegotiate(f *testing.F) {
	f.Add([]byte{5, 1, 0})
	f.Add([]byte{5, 2, 1, 2})
	f.Add([]byte{4, 1, 0})
	f.Add(append([]byte{5, 1, 2}, userPass(testCreds.Username, testCreds.Password)...))
	f.Add(append([]byte{5, 1, 2}, userPass(testCreds.Username, "x")...))
	f.Fuzz(func(t *testing.T, b []byte) {
		var out bytes.Buffer
		err := socksNegotiate(bytes.NewReader(b), &out, testCreds)
		if err == nil && !bytes.Equal(out.Bytes(), []byte{5, 2, 1, 0}) {
			t.Fatalf("accepted with answer % x", out.Bytes())
		}
		if err == nil && !bytes.Contains(b, []byte(testCreds.Password)) {
			t.Fatalf("accepted % x without the password", b)
		}
		if out.Len() > 4 {
			t.Fatalf("answer too long: % x", out.Bytes())
		}
	})
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}
