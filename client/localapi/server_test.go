package localapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/engine"
)

func testServer(t *testing.T) *Server {
	t.Helper()
	eng := engine.New(engine.Options{Profile: &api.Profile{Name: "테스트", GatewayURL: "https://gw.example"},
		Logger: slog.New(slog.DiscardHandler)})
	t.Cleanup(func() { eng.Close() })
	return NewServer(ServerOptions{Engine: eng, Logger: slog.New(slog.DiscardHandler)})
}

// TestUnknownCallerRefused serves the API on TCP, where no peer
// credentials exist: every endpoint, reading ones included, answers
// forbidden.
func TestUnknownCallerRefused(t *testing.T) {
	s := testServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	defer func() {
		cancel()
		<-done
	}()
	hc := &http.Client{Timeout: 10 * time.Second}
	for _, tc := range []struct{ method, path string }{
		{"GET", api.LocalPathStatus}, {"GET", api.LocalPathWatch}, {"GET", api.LocalPathProfile},
		{"GET", api.LocalPathDiag}, {"GET", api.LocalPathDiagBundle},
		{"POST", api.LocalPathLoginBegin}, {"POST", api.LocalPathLoginFinish}, {"POST", api.LocalPathLoginCancel}, {"POST", api.LocalPathLogout},
		{"POST", api.LocalPathPassword},
	} {
		req, _ := http.NewRequest(tc.method, "http://"+ln.Addr().String()+tc.path, nil)
		resp, err := hc.Do(req)
		if err != nil {
			t.Errorf("%s %s: %v", tc.method, tc.path, err)
			continue
		}
		var e api.ErrorResponse
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || json.Unmarshal(b, &e) != nil || e.Code != api.CodeForbidden {
			t.Errorf("%s %s by an unknown caller: %s %s, want 403 forbidden", tc.method, tc.path, resp.Status, b)
		}
	}
}

// as serves h to one request made by c.
func as(h http.Handler, c *engine.Caller, method, path string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	req = req.WithContext(context.WithValue(req.Context(), callerKey{}, c))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func errorCode(t *testing.T, rec *httptest.ResponseRecorder) api.Code {
	t.Helper()
	var e api.ErrorResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		return ""
	}
	return e.Code
}

// TestBundleRateLimited: one bundle at a time, and one per caller every
// bundleInterval; another caller is not held up by the first's interval.
func TestBundleRateLimited(t *testing.T) {
	s := testServer(t)
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	h := s.Handler()
	root := &engine.Caller{UID: "0", Admin: true}
	other := &engine.Caller{UID: "1000"} // no data owner yet: may read

	if rec := as(h, root, "GET", api.LocalPathDiagBundle); rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/zip" {
		t.Fatalf("first bundle: %d %s", rec.Code, rec.Body.Bytes()[:min(200, rec.Body.Len())])
	}
	now = now.Add(bundleInterval - time.Second)
	if rec := as(h, root, "GET", api.LocalPathDiagBundle); rec.Code != http.StatusTooManyRequests || errorCode(t, rec) != api.CodeRateLimited {
		t.Fatalf("second bundle within %s: %d %s, want 429 rate_limited", bundleInterval, rec.Code, rec.Body)
	}
	if rec := as(h, other, "GET", api.LocalPathDiagBundle); rec.Code != http.StatusOK {
		t.Fatalf("another caller's bundle: %d %s", rec.Code, rec.Body)
	}
	now = now.Add(time.Second)
	// One at a time: while one is being written, a second is refused.
	s.mu.Lock()
	s.bundling = true
	s.mu.Unlock()
	if rec := as(h, root, "GET", api.LocalPathDiagBundle); rec.Code != http.StatusTooManyRequests || errorCode(t, rec) != api.CodeRateLimited {
		t.Fatalf("bundle while another is written: %d %s, want 429 rate_limited", rec.Code, rec.Body)
	}
	s.mu.Lock()
	s.bundling = false
	s.mu.Unlock()
	if rec := as(h, root, "GET", api.LocalPathDiagBundle); rec.Code != http.StatusOK {
		t.Fatalf("bundle after the interval: %d %s", rec.Code, rec.Body)
	}
}

// TestDataOwnerView: once a user started a login, another non-root user
// reads a reduced status and is refused diagnostics; root and that user are
// not.
func TestDataOwnerView(t *testing.T) {
	s := testServer(t)
	h := s.Handler()
	alice, bob, root := &engine.Caller{UID: "1000"}, &engine.Caller{UID: "1001"}, &engine.Caller{UID: "0", Admin: true}
	s.mu.Lock()
	s.lastLogin = alice.UID // what a login/begin by alice records
	s.mu.Unlock()
	for _, tc := range []struct {
		c    *engine.Caller
		full bool
	}{{alice, true}, {root, true}, {bob, false}} {
		rec := as(h, tc.c, "GET", api.LocalPathStatus)
		var st api.Status
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &st) != nil {
			t.Fatalf("status for %+v: %d %s", tc.c, rec.Code, rec.Body)
		}
		if st.OtherUser == tc.full || st.State != api.StateDisconnected || st.Gateway != "https://gw.example" {
			t.Errorf("status for %+v: %+v, want full=%v", tc.c, st, tc.full)
		}
		for _, p := range []string{api.LocalPathDiag, api.LocalPathDiagBundle} {
			rec := as(h, tc.c, "GET", p)
			if tc.full != (rec.Code == http.StatusOK) || (!tc.full && errorCode(t, rec) != api.CodeForbidden) {
				t.Errorf("%s for %+v: %d %.200q", p, tc.c, rec.Code, rec.Body.String())
			}
		}
	}
}
