package proxy

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

const testToken = "0123456789abcdef0123456789abcdef"

// startPortal runs ServePortal to a backend that echoes the cookies it got.
func startPortal(t *testing.T) (addr string) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s\npath=%s\ncookie=%s\n", pageText, r.URL.RequestURI(), r.Header.Get("Cookie"))
	}))
	t.Cleanup(srv.Close)
	target, _ := url.Parse(srv.URL)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServePortal(ctx, ln, direct, target, testToken, nil) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("ServePortal: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("ServePortal did not return after cancel")
		}
	})
	return ln.Addr().String()
}

// raw sends one request with the given Host and Cookie headers.
func raw(t *testing.T, addr, host, path, cookie string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
	req.Host = host
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestPortalToken(t *testing.T) {
	addr := startPortal(t)
	_, port, _ := net.SplitHostPort(addr)
	cookie := "svpn_portal_" + port + "=" + testToken

	// The URL svpnd hands the owner: cookie set, token out of the address.
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err := c.Get(PortalURL(addr, "/portal/main?tab=1", testToken))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	body := string(b)
	if resp.StatusCode != 200 || !strings.Contains(body, pageText) || !strings.Contains(body, "path=/portal/main?tab=1\n") {
		t.Fatalf("first visit: %s %q", resp.Status, body)
	}
	if strings.Contains(resp.Request.URL.String(), testToken) {
		t.Errorf("the token stays in the address bar: %s", resp.Request.URL)
	}
	if strings.Contains(body, testToken) {
		t.Errorf("the token reached the portal: %q", body)
	}

	// The cookie's attributes.
	req, _ := http.NewRequest("GET", PortalURL(addr, "/", testToken), nil)
	resp, err = http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	sc := resp.Header.Get("Set-Cookie")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" ||
		!strings.Contains(sc, cookie) || !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Strict") {
		t.Errorf("first visit answer: %s, Location %q, Set-Cookie %q", resp.Status, resp.Header.Get("Location"), sc)
	}

	for _, tc := range []struct {
		name, host, path, cookie string
		want                     int
	}{
		{"cookie", addr, "/", cookie, 200},
		{"localhost with the cookie", "localhost:" + port, "/", cookie, 200},
		{"the portal's own cookies pass", addr, "/", cookie + "; JSESSIONID=abc", 200},
		{"no token", addr, "/", "", 403},
		{"wrong cookie", addr, "/", "svpn_portal_" + port + "=" + strings.Repeat("0", 32), 403},
		{"wrong token", addr, "/?" + TokenParam + "=" + strings.Repeat("f", 32), "", 403},
		{"empty token", addr, "/?" + TokenParam + "=", "", 403},
		{"another port's cookie name", addr, "/", "svpn_portal_1=" + testToken, 403},
		{"DNS rebinding", "evil.example:" + port, "/", cookie, 421},
		{"rebinding with the token", "evil.example:" + port, "/?" + TokenParam + "=" + testToken, "", 421},
		{"another port", "127.0.0.1:1", "/", cookie, 421},
		{"no port", "127.0.0.1", "/", cookie, 421},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := raw(t, addr, tc.host, tc.path, tc.cookie)
			if code != tc.want {
				t.Fatalf("status %d, want %d: %q", code, tc.want, body)
			}
			if code == 200 && strings.Contains(body, "svpn_portal") {
				t.Errorf("the portal cookie reached the portal: %q", body)
			}
			if tc.name == "the portal's own cookies pass" && !strings.Contains(body, "JSESSIONID=abc") {
				t.Errorf("the portal's cookie was dropped: %q", body)
			}
		})
	}
}

func TestPortalNeedsToken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// Without the check they would serve until ctx ends, then return nil.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	target, _ := url.Parse("http://10.77.0.1/")
	if err := ServePortal(ctx, ln, direct, target, "", nil); err == nil {
		t.Fatal("ServePortal without a token served")
	}
	ln2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := Serve(ctx, ln2, direct, nil, Credentials{Username: "svpn"}); err == nil {
		t.Fatal("Serve without a password served")
	}
}
