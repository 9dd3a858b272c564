package localapi

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/engine"
	"github.com/opensvpn/svpn/client/gatewayapi"
)

// FuzzLocalAPI sends arbitrary bodies, as any kind of caller, to every
// local API call that answers at once. svpnd must answer each with JSON (a
// status or a refusal with a code), never panic, and never let a caller
// who is not root end or finish anything while nobody has logged in.
func FuzzLocalAPI(f *testing.F) {
	gw, err := gatewayapi.New("https://127.0.0.1:1", gatewayapi.Options{Timeout: 200 * time.Millisecond})
	if err != nil {
		f.Fatal(err)
	}
	profile := &api.Profile{Name: "퍼즈", GatewayURL: "https://127.0.0.1:1", GatewayID: "fuzz-gw"}
	eng := engine.New(engine.Options{Profile: profile, Gateway: gw, Logger: slog.New(slog.DiscardHandler)})
	f.Cleanup(func() { eng.Close() })
	h := NewServer(ServerOptions{Engine: eng, Gateway: gw, Profile: profile, Logger: slog.New(slog.DiscardHandler)}).Handler()
	calls := []struct{ method, path string }{
		{"GET", api.LocalPathStatus}, {"GET", api.LocalPathProfile}, {"GET", api.LocalPathDiag}, {"POST", api.LocalPathLoginCancel},
		{"POST", api.LocalPathLoginBegin}, {"POST", api.LocalPathLoginFinish}, {"POST", api.LocalPathLogout},
		{"POST", api.LocalPathPassword}, {"POST", "/localapi/v1/nothing"},
	}
	callers := []*engine.Caller{nil, {UID: "0", Admin: true}, {UID: "1000"}, {UID: "1001"}}
	for i := range calls {
		f.Add(uint8(i), uint8(2), `{"user_id":"kim01"}`)
		f.Add(uint8(i), uint8(3), `{"login_id":"x","password":"p","signature":"AAAA"}`)
		f.Add(uint8(i), uint8(0), `[]`)
	}
	f.Fuzz(func(t *testing.T, which, who uint8, body string) {
		c := calls[int(which)%len(calls)]
		req := httptest.NewRequest(c.method, c.path, bytes.NewReader([]byte(body)))
		if caller := callers[int(who)%len(callers)]; caller != nil {
			req = req.WithContext(context.WithValue(req.Context(), callerKey{}, caller))
		}
		ctx, cancel := context.WithTimeout(req.Context(), 2*time.Second)
		defer cancel()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req.WithContext(ctx))
		if rec.Code == http.StatusOK {
			if c.path == api.LocalPathLoginFinish || c.path == api.LocalPathLogout && eng.Status().State != api.StateDisconnected {
				t.Fatalf("%s %s by %v succeeded: %q", c.method, c.path, callers[int(who)%len(callers)], body)
			}
			if !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("%s %s: 200 with %q", c.method, c.path, rec.Body.String())
			}
			return
		}
		var e api.ErrorResponse
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Code == "" {
			t.Fatalf("%s %s %q: status %d, body %q", c.method, c.path, body, rec.Code, rec.Body.String())
		}
	})
}
