package gateway

import (
	"context"
	"crypto/rand"
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
			// These requests come on no TLS connection, so nothing can
			// bind a signature to them: no login may succeed, not even a
			// byte-identical copy of a good one.
			if path == api.PathLogin {
				t.Fatalf("a login without a TLS channel succeeded: %q", body)
			}
			return
		}
		var e api.ErrorResponse
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Code == "" {
			t.Fatalf("%s %q: status %d, body %q", path, body, rec.Code, rec.Body.String())
		}
	})
}

// FuzzChallenge: a challenge verifies only for the user and WireGuard key
// it was issued for, and only under the secret it was issued with. (Every
// fuzzing process issues its own challenge for "user"/"key", so the property
// is stated against a second secret rather than against one process's
// issued value, which another worker's equally valid one would break.)
func FuzzChallenge(f *testing.F) {
	c := &challenger{secret: []byte("0123456789abcdef0123456789abcdef"), gatewayID: "gw"}
	other := &challenger{secret: []byte("fedcba9876543210fedcba9876543210"), gatewayID: "gw"}
	now := time.Unix(1_800_000_000, 0)
	ch, _, _ := c.issue("user", "key", now)
	f.Add(ch, "user", "key")
	f.Add(ch, "user", "key2")
	f.Add("AQ", "user", "key")
	f.Fuzz(func(t *testing.T, s, user, key string) {
		if _, err := c.verify(s, user, key, now); err != nil {
			return
		}
		if user != "user" || key != "key" {
			t.Fatalf("challenge %q verified for %q/%q, for which none was issued", s, user, key)
		}
		if _, err := other.verify(s, user, key, now); err == nil {
			t.Fatalf("challenge %q verifies without the secret", s)
		}
	})
}

// FuzzLogin mutates one field of a fresh, correctly signed login and sends
// it to the login logic with the channel binding the signature covers. The
// oracle is strict: the login succeeds exactly when the request is the
// untouched one, so deleting the signature check, the channel binding, the
// challenge check, the account binding or the policy check fails it.
func FuzzLogin(f *testing.F) {
	h := newHarness(f, func(c *Config) { c.SourceLimit = 1 << 30 })
	a := h.addUser("fuzz01", "Right-pass9!", false, nil, certgen.UserOptions{Name: "퍼즈", Key: h.pki.Root.Key})
	bank := h.addUser("purpose01", "Right-pass9!", false, nil, certgen.UserOptions{Name: "용도", Key: h.pki.GPKI.Key, PolicyOID: "1.2.410.200005.1.1.6.8"})
	for m := range uint8(mutations) {
		f.Add(m, uint16(0), []byte{1})
		f.Add(m, uint16(7), []byte("Wrong-pass9!"))
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, m uint8, pos uint16, data []byte) {
		who := a
		if m%mutations == mutWrongPurpose {
			who = bank
		}
		bind := make([]byte, api.ChannelBindingLen)
		rand.Read(bind)
		wgPub := who.wg.Public().String()
		ch, _, err := h.srv.chal.issue(who.id, wgPub, h.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		req := &api.LoginRequest{Challenge: ch, UserID: who.id, Password: who.password, Certificate: who.identity.Certificate.X509.Raw,
			WGPublicKey: wgPub, Posture: goodPosture}
		msg, _ := api.LoginBinding{GatewayID: h.cfg.GatewayID, UserID: who.id, WGPublicKey: wgPub, Challenge: ch, ChannelBinding: bind}.Message()
		req.Signature, req.SignatureAlgorithm, _ = who.identity.Sign(rand.Reader, msg, "")
		orig, _ := json.Marshal(req)
		sentBind := mutate(m%mutations, req, bind, int(pos), data)
		changed := string(mustJSON(req)) != string(orig) || string(sentBind) != string(bind)
		resp, err := h.srv.login(ctx, req, sentBind, "fuzz")
		switch {
		case err == nil && changed:
			t.Fatalf("mutation %d logged in: %s (binding changed %v)", m%mutations, mustJSON(req), string(sentBind) != string(bind))
		case err != nil && !changed && who == a:
			t.Fatalf("the untouched login was refused: %v", err)
		case err == nil:
			h.srv.logout(ctx, resp.SessionToken, "fuzz")
		}
		// Keep the account open for the next input.
		h.st.UnlockUser(ctx, a.id)
	})
}

const (
	mutSignature = iota
	mutCertificate
	mutChallenge
	mutUserID
	mutWGKey
	mutPassword
	mutBinding
	mutAlgorithm
	mutWrongPurpose // a correctly signed login with a certificate of a purpose not accepted
	mutNone
	mutations
)

// mutate changes one part of req (or the channel binding) at pos with data
// and returns the binding to send.
func mutate(m uint8, req *api.LoginRequest, bind []byte, pos int, data []byte) []byte {
	splice := func(b []byte) []byte {
		b = append([]byte(nil), b...)
		if len(b) == 0 {
			return append(b, data...)
		}
		p := pos % len(b)
		n := copy(b[p:], data)
		if n == 0 && len(data) == 0 {
			b = b[:p]
		}
		return b
	}
	switch m {
	case mutSignature:
		req.Signature = splice(req.Signature)
	case mutCertificate:
		req.Certificate = splice(req.Certificate)
	case mutChallenge:
		req.Challenge = string(splice([]byte(req.Challenge)))
	case mutUserID:
		req.UserID = string(splice([]byte(req.UserID)))
	case mutWGKey:
		req.WGPublicKey = string(splice([]byte(req.WGPublicKey)))
	case mutPassword:
		req.Password = string(splice([]byte(req.Password)))
	case mutBinding:
		return splice(bind)
	case mutAlgorithm:
		req.SignatureAlgorithm = api.SignatureAlgorithm(data)
	case mutWrongPurpose:
		req.Device.Hostname = "purpose" // always "changed": this login must never succeed
	}
	return bind
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
