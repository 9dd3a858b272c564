package gateway

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/gatewayapi"
	"github.com/opensvpn/svpn/gateway/store"
	"github.com/opensvpn/svpn/mobileid"
	"github.com/opensvpn/svpn/mobileid/phone"
	"github.com/opensvpn/svpn/wgkey"
)

const testIssuerDID = "did:web:issuer.test.go.kr"

// mobileKit is a gateway with mobile ID login, a trusted test issuer and
// a phone that trusts the gateway's TLS certificate.
type mobileKit struct {
	*harness
	issuer *ecdsa.PrivateKey
	phone  *phone.Phone
}

func newMobileKit(t *testing.T) *mobileKit {
	t.Helper()
	dir := t.TempDir()
	issuer := newP256(t)
	pub, _ := x509.MarshalPKIXPublicKey(&issuer.PublicKey)
	keyFile := filepath.Join(dir, "issuer.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o644); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, func(c *Config) {
		c.MobileID = &MobileIDConfig{Issuers: []MobileIssuer{{DID: testIssuerDID, KeyFile: keyFile}}}
	})
	h.srv.mobile.wait = 50 * time.Millisecond
	pool := x509.NewCertPool()
	pool.AddCert(h.ts.Certificate())
	return &mobileKit{harness: h, issuer: issuer, phone: phone.New(pool)}
}

func newP256(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// holder is a phone's credential.
type holder struct {
	key        *ecdsa.PrivateKey
	did        string
	credential string
	serial     string
}

// issue makes a credential for employee, valid now, with mutate applied.
func (k *mobileKit) issue(employee string, by *ecdsa.PrivateKey, mutate func(*mobileid.IssueOptions)) *holder {
	k.t.Helper()
	hk := newP256(k.t)
	did, _ := mobileid.HolderDID(&hk.PublicKey)
	now := k.clock.Now()
	o := mobileid.IssueOptions{IssuerDID: testIssuerDID, HolderDID: did, Serial: mobileid.NewSerial(),
		Subject:   map[string]string{"employee_id": employee, "name": "김철수"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(365 * 24 * time.Hour)}
	if mutate != nil {
		mutate(&o)
	}
	vc, err := mobileid.Issue(by, o)
	if err != nil {
		k.t.Fatal(err)
	}
	return &holder{key: hk, did: did, credential: vc, serial: o.Serial}
}

func (k *mobileKit) addAccount(id string) {
	k.t.Helper()
	if err := k.st.AddUser(context.Background(), store.User{ID: id, DisplayName: "김철수", PasswordHash: "x"}); err != nil {
		k.t.Fatal(err)
	}
}

// pc is svpnd's side of one QR login: its own TLS connection and key.
type pc struct {
	lc    *gatewayapi.LoginChannel
	key   wgkey.Private
	start *api.MobileStartResponse
}

func (k *mobileKit) startPC(user string) *pc {
	k.t.Helper()
	ctx := context.Background()
	lc, err := k.client.OpenLogin(ctx)
	if err != nil {
		k.t.Fatal(err)
	}
	k.t.Cleanup(lc.Close)
	key, _ := wgkey.NewPrivate()
	st, err := lc.MobileStart(ctx, &api.MobileStartRequest{WGPublicKey: key.Public().String(), UserID: user})
	if err != nil {
		k.t.Fatal(err)
	}
	return &pc{lc: lc, key: key, start: st}
}

func (p *pc) result() (*api.MobileResultResponse, error) {
	return p.lc.MobileResult(context.Background(), &api.MobileResultRequest{Transaction: p.start.Transaction,
		WGPublicKey: p.key.Public().String(), Posture: goodPosture, Device: api.Device{OS: "linux"}})
}

func (k *mobileKit) scan(qr string) *phone.Request {
	k.t.Helper()
	req, err := mobileid.ParseRequest(qr)
	if err != nil {
		k.t.Fatal(err)
	}
	r, err := k.phone.Fetch(context.Background(), req)
	if err != nil {
		k.t.Fatal(err)
	}
	return r
}

// audited fails unless the newest event for user is event with code.
func (k *mobileKit) audited(user, event string, code api.Code) {
	k.t.Helper()
	evs, err := k.st.ListAudit(context.Background(), store.AuditFilter{Event: event})
	if err != nil {
		k.t.Fatal(err)
	}
	for _, e := range evs {
		if e.UserID == user && e.Code == string(code) {
			return
		}
	}
	k.t.Fatalf("no %s event for %q with code %q in %+v", event, user, code, evs)
}

func TestMobileLogin(t *testing.T) {
	k := newMobileKit(t)
	k.addAccount("kim01")
	h := k.issue("kim01", k.issuer, nil)
	p := k.startPC("")
	if len(p.start.QR) > mobileid.MaxQRLen || len(p.start.ShortCode) != 4 || len(p.start.Transaction) != mobileid.TrxCodeLen {
		t.Fatalf("start: %+v", p.start)
	}
	if r, err := p.result(); err != nil || r.Status != api.MobilePending {
		t.Fatalf("before the phone: %+v %v", r, err)
	}
	req := k.scan(p.start.QR)
	if req.Profile.ShortCode != p.start.ShortCode || req.Profile.Issuer != k.cfg.GatewayID {
		t.Fatalf("profile: %+v", req.Profile)
	}
	if err := k.phone.Approve(context.Background(), req, h.key, h.credential); err != nil {
		t.Fatal(err)
	}
	r, err := p.result()
	if err != nil || r.Status != api.MobileApproved || r.Login == nil || r.Login.UserID != "kim01" {
		t.Fatalf("after approval: %+v %v", r, err)
	}
	if _, ok := k.peers.has(p.key.Public()); !ok {
		t.Fatal("no peer for the PC's key")
	}
	if _, err := p.result(); api.CodeOf(err) != api.CodeMobileUnknownTransaction {
		t.Fatalf("second collection: %v", err)
	}
	k.audited("kim01", "mobileid_approved", "")
	k.audited("kim01", "login", "")
	logins, _ := k.st.ListAudit(context.Background(), store.AuditFilter{Event: "login", UserID: "kim01"})
	if len(logins) != 1 || !strings.Contains(string(logins[0].Detail), `"method":"mobile_id"`) {
		t.Fatalf("login audit: %+v", logins)
	}
	k.audited("", "mobileid_started", "")
}

// refusedBy runs a login in which the phone posts vp (built by present
// from the profile) and checks that the phone and the PC both get code,
// and that it is audited.
func (k *mobileKit) refusedBy(code api.Code, auditUser string, present func(p *mobileid.Profile) string) {
	k.t.Helper()
	p := k.startPC("")
	req := k.scan(p.start.QR)
	err := k.phone.PostPresentation(context.Background(), req.Profile.Callback, req.QR.TrxCode, present(req.Profile))
	if api.CodeOf(err) != code {
		k.t.Fatalf("phone: got %v, want %s", err, code)
	}
	if _, err := p.result(); api.CodeOf(err) != code {
		k.t.Fatalf("PC: got %v, want %s", err, code)
	}
	if _, ok := k.peers.has(p.key.Public()); ok {
		k.t.Fatal("a refused login got a peer")
	}
	k.audited(auditUser, "mobileid_refused", code)
}

func present(t testing.TB, h *holder, p *mobileid.Profile) string {
	vp, err := mobileid.Present(h.key, h.credential, p, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return vp
}

func TestMobileRefusals(t *testing.T) {
	k := newMobileKit(t)
	k.addAccount("kim01")
	k.addAccount("lee02")
	if err := k.st.LockUser(context.Background(), "lee02", "test"); err != nil {
		t.Fatal(err)
	}
	good := k.issue("kim01", k.issuer, nil)

	t.Run("untrusted issuer key", func(t *testing.T) {
		h := k.issue("kim01", newP256(t), nil) // the trusted DID, another key
		k.refusedBy(api.CodeMobileIssuerUntrusted, "", func(p *mobileid.Profile) string { return present(t, h, p) })
	})
	t.Run("issuer not in the trust list", func(t *testing.T) {
		h := k.issue("kim01", k.issuer, func(o *mobileid.IssueOptions) { o.IssuerDID = "did:web:evil.example" })
		k.refusedBy(api.CodeMobileIssuerUntrusted, "", func(p *mobileid.Profile) string { return present(t, h, p) })
	})
	t.Run("expired credential", func(t *testing.T) {
		h := k.issue("kim01", k.issuer, func(o *mobileid.IssueOptions) { o.NotAfter = k.clock.Now().Add(-time.Minute) })
		k.refusedBy(api.CodeMobileCredentialExpired, "", func(p *mobileid.Profile) string { return present(t, h, p) })
	})
	t.Run("credential not yet valid", func(t *testing.T) {
		h := k.issue("kim01", k.issuer, func(o *mobileid.IssueOptions) { o.NotBefore = k.clock.Now().Add(time.Hour) })
		k.refusedBy(api.CodeMobileCredentialExpired, "", func(p *mobileid.Profile) string { return present(t, h, p) })
	})
	t.Run("revoked credential", func(t *testing.T) {
		h := k.issue("kim01", k.issuer, nil)
		if err := k.st.RevokeCertificate(context.Background(), store.Revocation{Serial: h.serial, Issuer: testIssuerDID}); err != nil {
			t.Fatal(err)
		}
		k.refusedBy(api.CodeMobileCredentialRevoked, "", func(p *mobileid.Profile) string { return present(t, h, p) })
	})
	t.Run("holder signature by another key", func(t *testing.T) {
		// The presentation names the holder's DID but another key signs it.
		other := newP256(t)
		k.refusedBy(api.CodeMobileHolderSignature, "", func(p *mobileid.Profile) string {
			return signAs(t, other, good.did, good.credential, p)
		})
	})
	t.Run("credential of another holder", func(t *testing.T) {
		// A stolen credential presented with the thief's own key.
		thief := &holder{key: newP256(t), credential: good.credential}
		k.refusedBy(api.CodeMobileHolderSignature, "", func(p *mobileid.Profile) string { return present(t, thief, p) })
	})
	t.Run("short code of another PC", func(t *testing.T) {
		k.refusedBy(api.CodeMobileCodeMismatch, "", func(p *mobileid.Profile) string {
			q := *p
			q.ShortCode = otherShortCode(p.ShortCode)
			return present(t, good, &q)
		})
	})
	t.Run("for another verifier", func(t *testing.T) {
		k.refusedBy(api.CodeMobileInvalid, "", func(p *mobileid.Profile) string {
			q := *p
			q.Issuer = "another-gateway"
			return present(t, good, &q)
		})
	})
	t.Run("unknown employee", func(t *testing.T) {
		h := k.issue("nobody9", k.issuer, nil)
		k.refusedBy(api.CodeMobileNotRegistered, "", func(p *mobileid.Profile) string { return present(t, h, p) })
	})
	t.Run("locked account", func(t *testing.T) {
		h := k.issue("lee02", k.issuer, nil)
		k.refusedBy(api.CodeAccountLocked, "lee02", func(p *mobileid.Profile) string { return present(t, h, p) })
	})
	t.Run("garbage", func(t *testing.T) {
		k.refusedBy(api.CodeMobileInvalid, "", func(*mobileid.Profile) string { return "not.a.jws" })
	})
}

// signAs signs a presentation claiming holder DID did with key.
func signAs(t testing.TB, key *ecdsa.PrivateKey, did, credential string, p *mobileid.Profile) string {
	now := time.Now()
	claims := mobileid.Presentation{
		Claims: jwt.Claims{Issuer: did, Audience: jwt.Audience{p.Issuer}, IssuedAt: jwt.NewNumericDate(now),
			Expiry: jwt.NewNumericDate(now.Add(time.Minute))},
		Nonce: p.Nonce, ShortCode: p.ShortCode,
		VP: mobileid.PresentationBody{Type: []string{"VerifiablePresentation"}, Credentials: []string{credential}},
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	vp, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return vp
}

func otherShortCode(c string) string {
	if c == "0000" {
		return "0001"
	}
	return "0000"
}

func TestMobileReplayAndUnknown(t *testing.T) {
	k := newMobileKit(t)
	k.addAccount("kim01")
	h := k.issue("kim01", k.issuer, nil)
	ctx := context.Background()

	a := k.startPC("")
	reqA := k.scan(a.start.QR)
	vpA := present(t, h, reqA.Profile)
	if err := k.phone.PostPresentation(ctx, reqA.Profile.Callback, a.start.Transaction, vpA); err != nil {
		t.Fatal(err)
	}
	// The same presentation again: the transaction is spent.
	err := k.phone.PostPresentation(ctx, reqA.Profile.Callback, a.start.Transaction, vpA)
	if api.CodeOf(err) != api.CodeMobileUnknownTransaction {
		t.Fatalf("replay on the same transaction: %v", err)
	}
	if e, ok := err.(*mobileid.Error); !ok || e.ErrCode != mobileid.ErrUnknownTransaction {
		t.Fatalf("not an M900 10104: %#v", err)
	}
	// ... and on a new one: another nonce.
	b := k.startPC("")
	err = k.phone.PostPresentation(ctx, reqA.Profile.Callback, b.start.Transaction, vpA)
	if e, ok := err.(*mobileid.Error); !ok || e.ErrCode != mobileid.ErrNonceMismatch || e.Code != api.CodeMobileNonceMismatch {
		t.Fatalf("replay on another transaction: %#v", err)
	}
	if _, err := b.result(); api.CodeOf(err) != api.CodeMobileNonceMismatch {
		t.Fatalf("PC B after the replay: %v", err)
	}
	k.audited("", "mobileid_refused", api.CodeMobileNonceMismatch)
	k.audited("", "mobileid_refused", api.CodeMobileUnknownTransaction)
	if r, err := a.result(); err != nil || r.Status != api.MobileApproved {
		t.Fatalf("PC A: %+v %v", r, err)
	}

	// A transaction code nobody issued.
	unknown := strings.Repeat("A", mobileid.TrxCodeLen)
	_, err = k.phone.Fetch(ctx, mobileid.NewRequest(unknown, k.baseURL()))
	if e, ok := err.(*mobileid.Error); !ok || e.ErrCode != mobileid.ErrUnknownTransaction {
		t.Fatalf("profile of an unknown transaction: %#v", err)
	}
	err = k.phone.PostPresentation(ctx, k.baseURL()+api.PathMobilePresentation, unknown, vpA)
	if api.CodeOf(err) != api.CodeMobileUnknownTransaction {
		t.Fatalf("presentation for an unknown transaction: %v", err)
	}
}

func TestMobileExpired(t *testing.T) {
	k := newMobileKit(t)
	k.addAccount("kim01")
	h := k.issue("kim01", k.issuer, nil)
	ctx := context.Background()

	p := k.startPC("kim01")
	req := k.scan(p.start.QR)
	k.clock.Advance(api.MobileTTL + time.Second)
	_, err := k.phone.Fetch(ctx, req.QR)
	if e, ok := err.(*mobileid.Error); !ok || e.ErrCode != mobileid.ErrTimeout {
		t.Fatalf("profile after 3 minutes: %#v", err)
	}
	if err := k.phone.Approve(ctx, req, h.key, h.credential); api.CodeOf(err) != api.CodeMobileExpired {
		t.Fatalf("presentation after 3 minutes: %v", err)
	}
	if _, err := p.result(); api.CodeOf(err) != api.CodeMobileExpired {
		t.Fatalf("PC: %v", err)
	}
	k.audited("", "mobileid_refused", api.CodeMobileExpired)

	// A PC that waits past the TTL without any phone is told so, audited.
	q := k.startPC("kim01")
	k.clock.Advance(api.MobileTTL + time.Second)
	if _, err := q.result(); api.CodeOf(err) != api.CodeMobileExpired {
		t.Fatalf("idle PC: %v", err)
	}
	k.audited("kim01", "mobileid_refused", api.CodeMobileExpired)
}

// TestMobileBoundToPC: the phone's approval completes only the login of
// the PC that showed the QR; another PC (connection or key) cannot collect
// it, and its own login stays pending.
func TestMobileBoundToPC(t *testing.T) {
	k := newMobileKit(t)
	k.addAccount("kim01")
	h := k.issue("kim01", k.issuer, nil)
	a, b := k.startPC(""), k.startPC("")
	if err := k.phone.Approve(context.Background(), k.scan(a.start.QR), h.key, h.credential); err != nil {
		t.Fatal(err)
	}
	// PC B presents A's transaction on its own connection, with either key.
	for _, key := range []wgkey.Private{b.key, a.key} {
		_, err := b.lc.MobileResult(context.Background(), &api.MobileResultRequest{Transaction: a.start.Transaction,
			WGPublicKey: key.Public().String(), Posture: goodPosture})
		if api.CodeOf(err) != api.CodeMobileUnknownTransaction {
			t.Fatalf("PC B collecting A's approval: %v", err)
		}
	}
	// A's connection with B's key.
	_, err := a.lc.MobileResult(context.Background(), &api.MobileResultRequest{Transaction: a.start.Transaction,
		WGPublicKey: b.key.Public().String(), Posture: goodPosture})
	if api.CodeOf(err) != api.CodeMobileUnknownTransaction {
		t.Fatalf("A's transaction with B's key: %v", err)
	}
	if r, err := b.result(); err != nil || r.Status != api.MobilePending {
		t.Fatalf("PC B: %+v %v", r, err)
	}
	r, err := a.result()
	if err != nil || r.Status != api.MobileApproved {
		t.Fatalf("PC A: %+v %v", r, err)
	}
	if _, ok := k.peers.has(a.key.Public()); !ok {
		t.Fatal("no peer for PC A")
	}
	if _, ok := k.peers.has(b.key.Public()); ok {
		t.Fatal("PC B got a peer")
	}
}

func TestMobileUserAndPosture(t *testing.T) {
	k := newMobileKit(t)
	k.addAccount("kim01")
	k.addAccount("park03")
	h := k.issue("kim01", k.issuer, nil)
	ctx := context.Background()

	// svpnctl login --mobile-id --user park03: kim01's credential does not do.
	p := k.startPC("park03")
	if err := k.phone.Approve(ctx, k.scan(p.start.QR), h.key, h.credential); api.CodeOf(err) != api.CodeMobileNotRegistered {
		t.Fatalf("credential of another account: %v", err)
	}
	k.audited("park03", "mobileid_refused", api.CodeMobileNotRegistered)

	// Posture is still required.
	p = k.startPC("kim01")
	if err := k.phone.Approve(ctx, k.scan(p.start.QR), h.key, h.credential); err != nil {
		t.Fatal(err)
	}
	_, err := p.lc.MobileResult(ctx, &api.MobileResultRequest{Transaction: p.start.Transaction, WGPublicKey: p.key.Public().String()})
	if api.CodeOf(err) != api.CodePostureFailed {
		t.Fatalf("without antivirus: %v", err)
	}
	k.audited("kim01", "login_refused", api.CodePostureFailed)

	// The holder declines.
	p = k.startPC("")
	if err := k.phone.Decline(ctx, k.scan(p.start.QR)); err != nil {
		t.Fatal(err)
	}
	if _, err := p.result(); api.CodeOf(err) != api.CodeMobileDeclined {
		t.Fatalf("declined: %v", err)
	}
	k.audited("", "mobileid_refused", api.CodeMobileDeclined)
}

func TestMobileDisabled(t *testing.T) {
	h := newHarness(t, nil)
	lc, err := h.client.OpenLogin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	key, _ := wgkey.NewPrivate()
	_, err = lc.MobileStart(context.Background(), &api.MobileStartRequest{WGPublicKey: key.Public().String()})
	if api.CodeOf(err) != api.CodeMobileDisabled {
		t.Fatalf("start on a gateway without mobile_id: %v", err)
	}
}
