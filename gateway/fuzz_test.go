package gateway

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore/certgen"
)

// FuzzAPIRequest sends arbitrary bodies to every API call. The gateway must
// answer each with JSON (a refusal with a code, or a success), never panic,
// and never let a forged request log in.
func FuzzAPIRequest(f *testing.F) {
	h := newHarness(f, nil)
	a := h.addUser("fuzz01", "Right-pass9!", false, nil, certgen.UserOptions{Name: "퍼즈", Key: h.pki.Root.Key})
	good, _ := json.Marshal(h.loginRequest(a))
	paths := []string{api.PathLogin, api.PathChallenge, api.PathPassword, api.PathHeartbeat, api.PathLogout}
	for i := range paths {
		f.Add(uint8(i), string(good))
		f.Add(uint8(i), `{"user_id":"fuzz01","wg_public_key":"`+a.wg.Public().String()+`"}`)
		f.Add(uint8(i), `{"user_id":"fuzz01","old_password":"x","new_password":"Abcdefg1!"}`)
		f.Add(uint8(i), `{"certificate":"AAAA","signature":"AAAA","challenge":"AQ"}`)
		f.Add(uint8(i), `[]`)
	}
	handler := h.srv.Handler()
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		path := paths[int(which)%len(paths)]
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+body[:min(len(body), 40)])
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if rec.Code == http.StatusOK {
			if path == api.PathLogin && body != string(good) {
				var resp api.LoginResponse
				if json.Unmarshal(rec.Body.Bytes(), &resp) == nil && resp.SessionToken != "" {
					// Only a byte-identical replay of the good request could
					// carry a valid signature, and that is refused as a replay.
					var lr api.LoginRequest
					if json.Unmarshal([]byte(body), &lr) != nil || lr.Challenge != h.loginRequestChallenge(good) {
						t.Fatalf("a mutated login succeeded: %q", body)
					}
				}
			}
			return
		}
		var e api.ErrorResponse
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Code == "" {
			t.Fatalf("%s %q: status %d, body %q", path, body, rec.Code, rec.Body.String())
		}
	})
}

func (h *harness) loginRequestChallenge(good []byte) string {
	var lr api.LoginRequest
	json.Unmarshal(good, &lr)
	return lr.Challenge
}

// FuzzChallenge: no string but an issued challenge verifies.
func FuzzChallenge(f *testing.F) {
	c := &challenger{secret: []byte("0123456789abcdef0123456789abcdef"), gatewayID: "gw"}
	now := time.Unix(1_800_000_000, 0)
	ch, _, _ := c.issue("user", "key", now)
	f.Add(ch, "user", "key")
	f.Add("AQ", "user", "key")
	f.Fuzz(func(t *testing.T, s, user, key string) {
		if _, err := c.verify(s, user, key, now); err == nil && !(s == ch && user == "user" && key == "key") {
			t.Fatalf("forged challenge %q for %q/%q verified", s, user, key)
		}
	})
}
