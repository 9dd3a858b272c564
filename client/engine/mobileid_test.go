package engine_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/engine"
	"github.com/opensvpn/svpn/client/gatewayapi"
	"github.com/opensvpn/svpn/mobileid"
)

// fakeMobileGateway answers a QR start with start and every result
// request with pending.
func fakeMobileGateway(t *testing.T, start api.MobileStartResponse) (*httptest.Server, *atomic.Int32) {
	var results atomic.Int32
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case api.PathMobileStart:
			json.NewEncoder(w).Encode(start)
		case api.PathMobileResult:
			results.Add(1)
			select {
			case <-r.Context().Done():
			case <-time.After(200 * time.Millisecond):
			}
			json.NewEncoder(w).Encode(api.MobileResultResponse{Status: api.MobilePending})
		default:
			w.WriteHeader(http.StatusNotFound)
			json.NewEncoder(w).Encode(api.ErrorResponse{Code: api.CodeBadRequest})
		}
	}))
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return ts, &results
}

func goodStart() api.MobileStartResponse {
	trx := strings.Repeat("T", mobileid.TrxCodeLen)
	qr, _ := mobileid.NewRequest(trx, "https://gw.example.go.kr").Encode()
	return api.MobileStartResponse{Transaction: trx, QR: qr, ShortCode: "1234", ExpiresAt: time.Now().Add(api.MobileTTL)}
}

// TestMobileStartFromMaliciousGateway: svpnd shows the user only a short
// M200 of the transaction and a 4-digit code: a gateway that sends other
// text for the QR (a URL to a phishing page, a long blob) or another code
// is refused before anything is shown.
func TestMobileStartFromMaliciousGateway(t *testing.T) {
	me := engine.Caller{UID: "1000"}
	for name, mutate := range map[string]func(*api.MobileStartResponse){
		"a URL for the QR":     func(s *api.MobileStartResponse) { s.QR = "https://evil.example/login" },
		"another transaction":  func(s *api.MobileStartResponse) { s.Transaction = strings.Repeat("U", mobileid.TrxCodeLen) },
		"a long QR":            func(s *api.MobileStartResponse) { s.QR += strings.Repeat(" ", 400) },
		"a code that is text":  func(s *api.MobileStartResponse) { s.ShortCode = "승인하세요" },
		"a code of six digits": func(s *api.MobileStartResponse) { s.ShortCode = "123456" },
		"an http host in the QR": func(s *api.MobileStartResponse) {
			s.QR = strings.Replace(s.QR, "https://", "http://", 1)
		},
	} {
		t.Run(name, func(t *testing.T) {
			start := goodStart()
			mutate(&start)
			ts, _ := fakeMobileGateway(t, start)
			eng := engineFor(t, ts, "gw")
			if _, err := eng.BeginMobileLogin(context.Background(), me, ""); api.CodeOf(err) != gatewayapi.CodeBadResponse {
				t.Fatalf("got %v", err)
			}
			if st := eng.Status(); st.State != api.StateDisconnected {
				t.Fatalf("state %s", st.State)
			}
		})
	}
}

// TestMobileLoginOwnedByItsUser: another local user can neither wait for,
// cancel nor replace a QR login; its owner cancels it, and svpnd stops
// asking the gateway.
func TestMobileLoginOwnedByItsUser(t *testing.T) {
	ts, results := fakeMobileGateway(t, goodStart())
	eng := engineFor(t, ts, "gw")
	ctx := context.Background()
	alice, bob := engine.Caller{UID: "1000"}, engine.Caller{UID: "1001"}
	begin, err := eng.BeginMobileLogin(ctx, alice, "")
	if err != nil {
		t.Fatal(err)
	}
	if begin.ShortCode != "1234" || begin.QR != goodStart().QR {
		t.Fatalf("begin: %+v", begin)
	}
	if _, err := eng.WaitMobileLogin(ctx, bob, begin.LoginID); api.CodeOf(err) != api.CodeForbidden {
		t.Fatalf("bob waits: %v", err)
	}
	if _, err := eng.CancelMobileLogin(ctx, bob, begin.LoginID); api.CodeOf(err) != api.CodeForbidden {
		t.Fatalf("bob cancels: %v", err)
	}
	if _, err := eng.BeginMobileLogin(ctx, bob, ""); api.CodeOf(err) != api.CodeForbidden {
		t.Fatalf("bob starts his own: %v", err)
	}
	if _, err := eng.WaitMobileLogin(ctx, alice, "no-such-login"); api.CodeOf(err) != api.CodeLoginExpired {
		t.Fatalf("unknown login: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for results.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := eng.CancelMobileLogin(ctx, alice, begin.LoginID); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.WaitMobileLogin(ctx, alice, begin.LoginID); api.CodeOf(err) != api.CodeMobileCancelled {
		t.Fatalf("after cancel: %v", err)
	}
	if st := eng.Status(); st.State != api.StateDisconnected || st.LastErrorCode != api.CodeMobileCancelled {
		t.Fatalf("status: %+v", st)
	}
	n := results.Load()
	time.Sleep(400 * time.Millisecond) // two of the fake's result periods
	if results.Load() != n {
		t.Fatal("svpnd still polls after the cancel")
	}
	// Alice's second QR replaces her first.
	b1, err := eng.BeginMobileLogin(ctx, alice, "")
	if err != nil {
		t.Fatal(err)
	}
	b2, err := eng.BeginMobileLogin(ctx, alice, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.WaitMobileLogin(ctx, alice, b1.LoginID); err == nil {
		t.Fatal("the first QR login still runs")
	}
	if secrets := strings.Join(eng.Secrets(), " "); secrets == "" {
		t.Fatal("the running QR login's WireGuard key is not among the secrets to redact")
	}
	eng.CancelMobileLogin(ctx, alice, b2.LoginID)
}
