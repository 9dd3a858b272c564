package gateway

import (
	"context"
	"crypto/ecdsa"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/mobileid"
	"github.com/opensvpn/svpn/wgkey"
)

// signJWT signs any claims with ES256.
func signJWT(t testing.TB, key *ecdsa.PrivateKey, claims any) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// vpFor builds a presentation for p by h, then lets mutate change it.
func vpFor(t testing.TB, h *holder, p *mobileid.Profile, mutate func(*mobileid.Presentation)) string {
	now := time.Now()
	vp := mobileid.Presentation{
		Claims: jwt.Claims{Issuer: h.did, Audience: jwt.Audience{p.Issuer}, IssuedAt: jwt.NewNumericDate(now),
			Expiry: jwt.NewNumericDate(now.Add(time.Minute))},
		Nonce: p.Nonce, ShortCode: p.ShortCode,
		VP: mobileid.PresentationBody{Type: []string{"VerifiablePresentation"}, Credentials: []string{h.credential}},
	}
	mutate(&vp)
	return signJWT(t, h.key, vp)
}

// vcFor signs a credential for h with the trusted issuer, as mutate makes it.
func (k *mobileKit) vcFor(h *holder, employee string, mutate func(*mobileid.Credential)) string {
	now := k.clock.Now()
	c := mobileid.Credential{
		Claims: jwt.Claims{Issuer: testIssuerDID, Subject: h.did, ID: mobileid.NewSerial(),
			NotBefore: jwt.NewNumericDate(now.Add(-time.Hour)), Expiry: jwt.NewNumericDate(now.Add(time.Hour))},
		VC: mobileid.CredentialBody{Type: []string{"VerifiableCredential", mobileid.CredentialType},
			Subject: map[string]string{"id": h.did, "employee_id": employee}},
	}
	mutate(&c)
	return signJWT(k.t, k.issuer, c)
}

// TestMobilePresentationShape: each check of the presentation's and the
// credential's shape refuses (and audits) what it is there for.
func TestMobilePresentationShape(t *testing.T) {
	k := newMobileKit(t)
	k.addAccount("kim01")
	h := k.issue("kim01", k.issuer, nil)
	for name, tc := range map[string]struct {
		code api.Code
		vp   func(p *mobileid.Profile) string
	}{
		"no expiry": {api.CodeMobileInvalid, func(p *mobileid.Profile) string {
			return vpFor(t, h, p, func(v *mobileid.Presentation) { v.Expiry = nil })
		}},
		"no issued-at": {api.CodeMobileInvalid, func(p *mobileid.Profile) string {
			return vpFor(t, h, p, func(v *mobileid.Presentation) { v.IssuedAt = nil })
		}},
		"expired presentation": {api.CodeMobileInvalid, func(p *mobileid.Profile) string {
			return vpFor(t, h, p, func(v *mobileid.Presentation) { v.Expiry = jwt.NewNumericDate(time.Now().Add(-time.Hour)) })
		}},
		"two credentials": {api.CodeMobileInvalid, func(p *mobileid.Profile) string {
			return vpFor(t, h, p, func(v *mobileid.Presentation) { v.VP.Credentials = append(v.VP.Credentials, h.credential) })
		}},
		"not a presentation": {api.CodeMobileInvalid, func(p *mobileid.Profile) string {
			return vpFor(t, h, p, func(v *mobileid.Presentation) { v.VP.Type = []string{"Something"} })
		}},
		"not an employee ID": {api.CodeMobileInvalid, func(p *mobileid.Profile) string {
			vc := k.vcFor(h, "kim01", func(c *mobileid.Credential) { c.VC.Type = []string{"VerifiableCredential", "DriverLicense"} })
			return vpFor(t, h, p, func(v *mobileid.Presentation) { v.VP.Credentials = []string{vc} })
		}},
		"credential without validity": {api.CodeMobileInvalid, func(p *mobileid.Profile) string {
			vc := k.vcFor(h, "kim01", func(c *mobileid.Credential) { c.Expiry = nil })
			return vpFor(t, h, p, func(v *mobileid.Presentation) { v.VP.Credentials = []string{vc} })
		}},
		"serial not hex": {api.CodeMobileInvalid, func(p *mobileid.Profile) string {
			vc := k.vcFor(h, "kim01", func(c *mobileid.Credential) { c.ID = "urn:uuid:not-hex" })
			return vpFor(t, h, p, func(v *mobileid.Presentation) { v.VP.Credentials = []string{vc} })
		}},
		"subject id of another holder": {api.CodeMobileHolderSignature, func(p *mobileid.Profile) string {
			vc := k.vcFor(h, "kim01", func(c *mobileid.Credential) { c.VC.Subject["id"] = "did:jwk:other" })
			return vpFor(t, h, p, func(v *mobileid.Presentation) { v.VP.Credentials = []string{vc} })
		}},
		"employee number not an ID": {api.CodeMobileNotRegistered, func(p *mobileid.Profile) string {
			vc := k.vcFor(h, "kim01\nadmin", func(*mobileid.Credential) {})
			return vpFor(t, h, p, func(v *mobileid.Presentation) { v.VP.Credentials = []string{vc} })
		}},
		"control": {"", func(p *mobileid.Profile) string { return vpFor(t, h, p, func(*mobileid.Presentation) {}) }},
	} {
		t.Run(name, func(t *testing.T) {
			if tc.code == "" {
				p := k.startPC("")
				req := k.scan(p.start.QR)
				if err := k.phone.PostPresentation(context.Background(), req.Profile.Callback, req.QR.TrxCode, tc.vp(req.Profile)); err != nil {
					t.Fatalf("the well-formed presentation: %v", err)
				}
				return
			}
			k.refusedBy(tc.code, "", tc.vp)
		})
	}
}

// TestMobileLockedBeforeCollection: an account locked between the phone's
// approval and svpnd's collection gets no session.
func TestMobileLockedBeforeCollection(t *testing.T) {
	k := newMobileKit(t)
	k.addAccount("kim01")
	h := k.issue("kim01", k.issuer, nil)
	p := k.startPC("")
	if err := k.phone.Approve(context.Background(), k.scan(p.start.QR), h.key, h.credential); err != nil {
		t.Fatal(err)
	}
	if err := k.st.LockUser(context.Background(), "kim01", "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.result(); api.CodeOf(err) != api.CodeAccountLocked {
		t.Fatalf("collecting for a locked account: %v", err)
	}
	if _, ok := k.peers.has(p.key.Public()); ok {
		t.Fatal("a locked account got a peer")
	}
	k.audited("kim01", "mobileid_refused", api.CodeAccountLocked)
}

// TestMobileStartLimits: starts count against the address like logins,
// the table of waiting logins is bounded, and malformed starts are refused.
func TestMobileStartLimits(t *testing.T) {
	k := newMobileKit(t)
	ctx := context.Background()
	lc, err := k.client.OpenLogin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	key, _ := wgkey.NewPrivate()
	start := func(user, wg string) error {
		_, err := lc.MobileStart(ctx, &api.MobileStartRequest{WGPublicKey: wg, UserID: user})
		return err
	}
	if err := start("", "not-a-key"); api.CodeOf(err) != api.CodeBadRequest {
		t.Fatalf("bad key: %v", err)
	}
	if err := start("kim01\n", key.Public().String()); api.CodeOf(err) != api.CodeBadRequest {
		t.Fatalf("bad user ID: %v", err)
	}
	k.srv.mobile.cfg.MaxPending = 2
	for i := 0; i < 2; i++ {
		if err := start("", key.Public().String()); err != nil {
			t.Fatal(err)
		}
	}
	if err := start("", key.Public().String()); api.CodeOf(err) != api.CodeUnavailable {
		t.Fatalf("beyond max_pending: %v", err)
	}
	k.srv.mobile.cfg.MaxPending = 4096
	for i := 0; i < k.cfg.SourceLimit; i++ {
		start("", key.Public().String())
	}
	if err := start("", key.Public().String()); api.CodeOf(err) != api.CodeRateLimited {
		t.Fatalf("beyond the source limit: %v", err)
	}
}
