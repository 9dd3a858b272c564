package phone

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/mobileid"
)

var trx = strings.Repeat("t", mobileid.TrxCodeLen)

// verifier serves a profile built by mutate from a good one.
func verifier(t *testing.T, mutate func(p *mobileid.Profile, resp *mobileid.ProfileResponse)) (*Phone, mobileid.Request) {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	var host string
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := &mobileid.Profile{Claims: jwt.Claims{Issuer: "gw", Expiry: jwt.NewNumericDate(time.Now().Add(time.Minute))},
			TrxCode: trx, Nonce: "n", ShortCode: "1234", Callback: host + api.PathMobilePresentation, Decline: host + api.PathMobileDecline}
		resp := mobileid.NewProfileResponse(trx, "")
		mutate(p, &resp)
		if resp.Profile == "" {
			resp.Profile, _ = mobileid.SignProfile(key, p)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(resp)
	}))
	ts.StartTLS()
	t.Cleanup(ts.Close)
	host = ts.URL
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	return New(pool), mobileid.NewRequest(trx, host)
}

// TestFetchRefuses: the phone answers only a profile of the scanned
// transaction, signed by the key it carries, unexpired, whose answers go
// back to the QR's own site.
func TestFetchRefuses(t *testing.T) {
	for name, tc := range map[string]struct {
		code   api.Code
		mutate func(*mobileid.Profile, *mobileid.ProfileResponse)
	}{
		"good":               {"", func(*mobileid.Profile, *mobileid.ProfileResponse) {}},
		"callback elsewhere": {api.CodeMobileInvalid, func(p *mobileid.Profile, _ *mobileid.ProfileResponse) { p.Callback = "https://evil.example/x" }},
		"decline over http": {api.CodeMobileInvalid, func(p *mobileid.Profile, _ *mobileid.ProfileResponse) {
			p.Decline = strings.Replace(p.Decline, "https", "http", 1)
		}},
		"another transaction": {api.CodeMobileInvalid, func(p *mobileid.Profile, _ *mobileid.ProfileResponse) {
			p.TrxCode = strings.Repeat("u", mobileid.TrxCodeLen)
		}},
		"expired": {api.CodeMobileExpired, func(p *mobileid.Profile, _ *mobileid.ProfileResponse) {
			p.Expiry = jwt.NewNumericDate(time.Now().Add(-time.Second))
		}},
		"no code":  {api.CodeMobileInvalid, func(p *mobileid.Profile, _ *mobileid.ProfileResponse) { p.ShortCode = "" }},
		"unsigned": {api.CodeMobileInvalid, func(_ *mobileid.Profile, r *mobileid.ProfileResponse) { r.Profile = "e30.e30." }},
		"framing of other trx": {api.CodeMobileInvalid, func(_ *mobileid.Profile, r *mobileid.ProfileResponse) {
			r.TrxCode = strings.Repeat("u", mobileid.TrxCodeLen)
		}},
	} {
		t.Run(name, func(t *testing.T) {
			ph, qr := verifier(t, tc.mutate)
			_, err := ph.Fetch(context.Background(), qr)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("good profile: %v", err)
				}
				return
			}
			if api.CodeOf(err) != tc.code {
				t.Fatalf("got %v, want %s", err, tc.code)
			}
		})
	}
}
