package engine_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/engine"
	"github.com/opensvpn/svpn/client/gatewayapi"
	"github.com/opensvpn/svpn/tunnel"
)

// busyGateway answers the first busy challenges rate_limited (503,
// Retry-After 1), then issues them.
func busyGateway(t *testing.T, busy int64) (*httptest.Server, *atomic.Int64) {
	var calls atomic.Int64
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path != api.PathChallenge {
			w.WriteHeader(http.StatusNotFound)
			json.NewEncoder(w).Encode(api.ErrorResponse{Code: api.CodeBadRequest, Message: "no"})
			return
		}
		if calls.Add(1) <= busy {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			json.NewEncoder(w).Encode(api.ErrorResponse{Code: api.CodeRateLimited, Message: "busy", RetryAfter: 1})
			return
		}
		json.NewEncoder(w).Encode(api.ChallengeResponse{Challenge: "bm9uY2U", GatewayID: "gw", ExpiresAt: time.Now().Add(time.Minute)})
	}))
	t.Cleanup(ts.Close)
	return ts, &calls
}

func engineOn(t *testing.T, ts *httptest.Server, profile *api.Profile) *engine.Engine {
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	gw, err := gatewayapi.New(profile.GatewayURL, gatewayapi.Options{RootCAs: pool, Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	eng := engine.New(engine.Options{Profile: profile, Gateway: gw, Userspace: true, Logger: slog.New(slog.DiscardHandler),
		NewTunnel: func(tunnel.Config) (tunnel.Tunnel, error) { t.Fatal("no tunnel here"); return nil, nil }})
	t.Cleanup(func() { eng.Close() })
	return eng
}

// A busy gateway: svpnd waits (the status says so, with the code) and
// retries, instead of failing the login.
func TestLoginWaitsForBusyGateway(t *testing.T) {
	ts, calls := busyGateway(t, 2)
	eng := engineOn(t, ts, &api.Profile{Name: "t", GatewayURL: ts.URL, GatewayID: "gw"})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	watch := eng.Watch(ctx)
	waited := make(chan bool, 1)
	go func() {
		for st := range watch {
			if st.LastErrorCode == api.CodeRateLimited && st.State == api.StateAuthenticating {
				waited <- true
				return
			}
		}
	}()
	if _, err := eng.BeginLogin(ctx, engine.Caller{UID: "1000"}, "kim01"); err != nil {
		t.Fatalf("BeginLogin: %v", err)
	}
	if calls.Load() != 3 {
		t.Errorf("%d challenges asked, want 3", calls.Load())
	}
	select {
	case <-waited:
	case <-time.After(time.Second):
		t.Error("the status never said the login waits for a busy gateway")
	}
	if st := eng.Status(); st.LastErrorCode != "" {
		t.Errorf("status after the wait: %+v", st)
	}
}

// A node that cannot be reached: the login goes to the next node of the
// profile, and the status names it.
func TestLoginMovesPastDeadNode(t *testing.T) {
	ts, _ := busyGateway(t, 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "https://" + l.Addr().String()
	l.Close()
	eng := engineOn(t, ts, &api.Profile{Name: "t", GatewayURL: dead, GatewayURLs: []string{ts.URL}, GatewayID: "gw"})
	if _, err := eng.BeginLogin(context.Background(), engine.Caller{UID: "1000"}, "kim01"); err != nil {
		t.Fatalf("BeginLogin: %v", err)
	}
	if st := eng.Status(); st.Gateway != ts.URL {
		t.Errorf("status gateway %q, want %s", st.Gateway, ts.URL)
	}
	// With every node dead the code says so.
	eng2 := engineOn(t, ts, &api.Profile{Name: "t", GatewayURL: dead, GatewayURLs: []string{dead + "/"}, GatewayID: "gw"})
	_, err = eng2.BeginLogin(context.Background(), engine.Caller{UID: "1000"}, "kim01")
	if api.CodeOf(err) != api.CodeNoGatewayNode {
		t.Errorf("every node dead: %v", err)
	}
}
