package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/certstore/certgen"
	"github.com/opensvpn/svpn/gateway/store"
	"github.com/opensvpn/svpn/wgkey"
)

func TestLoginSuccess(t *testing.T) {
	h := newHarness(t, nil)
	a := h.addUser("test05", "Good-pass9!", false, nil, certgen.UserOptions{Name: "홍길동"})
	info, err := h.client.Info(context.Background())
	if err != nil || info.GatewayID != "gw-test" || !info.Posture.RequireAntivirus || info.PasswordRules.MinLength != 9 {
		t.Fatalf("info %+v, %v", info, err)
	}
	resp, err := h.login(a)
	if err != nil {
		t.Fatal(err)
	}
	if resp.SessionToken == "" || resp.Tunnel.Address != "10.77.0.2/32" || resp.Tunnel.Endpoint != "127.0.0.1:51820" ||
		!slices.Contains(resp.Tunnel.Routes, "192.168.10.0/24") || resp.PortalURL != "http://10.77.0.1/" || resp.Tunnel.MTU != 1420 {
		t.Fatalf("login response %+v", resp)
	}
	if addr, ok := h.peers.has(a.wg.Public()); !ok || addr.String() != "10.77.0.2" {
		t.Fatalf("peer not added: %v %v", addr, ok)
	}
	st, err := h.client.Heartbeat(context.Background(), resp.SessionToken)
	if err != nil || st.SessionID != resp.SessionID {
		t.Fatalf("heartbeat %+v %v", st, err)
	}
	// The same user gets the same address back after logging out.
	if err := h.client.Logout(context.Background(), resp.SessionToken); err != nil {
		t.Fatal(err)
	}
	if _, ok := h.peers.has(a.wg.Public()); ok {
		t.Fatal("logout left the peer")
	}
	_, err = h.client.Heartbeat(context.Background(), resp.SessionToken)
	if r := wantCode(t, err, api.CodeSessionEnded); r.EndReason != "logout" {
		t.Fatalf("end reason %q", r.EndReason)
	}
	resp2, err := h.login(a)
	if err != nil || resp2.Tunnel.Address != "10.77.0.2/32" {
		t.Fatalf("second login: %+v %v", resp2, err)
	}
	// Audit log holds the story, without secrets.
	events, err := h.st.ListAudit(context.Background(), store.AuditFilter{UserID: "test05"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range events {
		names = append(names, e.Event)
		if bytes.Contains(e.Detail, []byte(a.password)) || bytes.Contains(e.Detail, []byte(resp.SessionToken)) {
			t.Fatalf("audit leaks a secret: %s", e.Detail)
		}
	}
	for _, want := range []string{"login", "session_ended"} {
		if !slices.Contains(names, want) {
			t.Errorf("audit has %v, missing %s", names, want)
		}
	}
}

func TestFirstLoginPasswordChange(t *testing.T) {
	h := newHarness(t, nil)
	a := h.addUser("test05", "svpn1234!", true, nil, certgen.UserOptions{Name: "홍길동"})
	_, err := h.login(a)
	wantCode(t, err, api.CodePasswordChangeRequired)
	if _, ok := h.peers.has(a.wg.Public()); ok {
		t.Fatal("peer added before the password change")
	}
	ctx := context.Background()
	// Knowing the initial password is not enough to change it: the change
	// happens only inside a complete login.
	err = h.client.ChangePassword(ctx, "", &api.PasswordChangeRequest{UserID: a.id, OldPassword: "svpn1234!", NewPassword: "Taken-over9!"})
	wantCode(t, err, api.CodeUnauthorized)
	if u, _ := h.st.GetUser(ctx, a.id); !u.MustChangePassword || u.FailedAttempts != 0 {
		t.Fatalf("after /auth/password without a session: %+v", u)
	}
	// Every broken rule is listed.
	req := h.loginRequest(a)
	req.NewPassword = "aaa"
	_, err = h.send(ctx, req)
	pr := wantCode(t, err, api.CodePasswordPolicy)
	var rules []string
	for _, v := range pr.Violations {
		rules = append(rules, v.Rule)
	}
	for _, want := range []string{"length", "digit", "special", "repeated_chars"} {
		if !slices.Contains(rules, want) {
			t.Errorf("violations %v lack %s", rules, want)
		}
	}
	for _, tc := range []struct{ pw, rule string }{
		{"svpn1234!", "same_as_old"},
		{"xtest05x-1!", "contains_user_id"},
		{"abcdefgh1", "special"},
		{"abcdefgh!", "digit"},
		{"12345678!", "letter"},
		{"abc 12345!", "invalid_chars"},
		{strings.Repeat("a1!", 11), "length"},
	} {
		req := h.loginRequest(a)
		req.NewPassword = tc.pw
		_, err = h.send(ctx, req)
		pr := wantCode(t, err, api.CodePasswordPolicy)
		if !slices.ContainsFunc(pr.Violations, func(v api.Violation) bool { return v.Rule == tc.rule }) {
			t.Errorf("%q: violations %+v lack %s", tc.pw, pr.Violations, tc.rule)
		}
	}
	if u, _ := h.st.GetUser(ctx, a.id); !u.MustChangePassword {
		t.Fatal("a refused new password cleared must_change_password")
	}
	req = h.loginRequest(a)
	req.NewPassword = "New-pass9!"
	resp, err := h.send(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	// A voluntary change inside the session, with the current password.
	err = h.client.ChangePassword(ctx, resp.SessionToken, &api.PasswordChangeRequest{UserID: a.id, OldPassword: "wrong-pass9!", NewPassword: "Other-pass9!"})
	wantCode(t, err, api.CodeBadCredentials)
	err = h.client.ChangePassword(ctx, resp.SessionToken, &api.PasswordChangeRequest{UserID: "someone", OldPassword: "New-pass9!", NewPassword: "Other-pass9!"})
	wantCode(t, err, api.CodeForbidden)
	if err := h.client.ChangePassword(ctx, resp.SessionToken, &api.PasswordChangeRequest{UserID: a.id, OldPassword: "New-pass9!", NewPassword: "Other-pass9!"}); err != nil {
		t.Fatal(err)
	}
	_, err = h.login(a)
	wantCode(t, err, api.CodeBadCredentials)
	a.password = "Other-pass9!"
	if _, err := h.login(a); err != nil {
		t.Fatal(err)
	}
}

func TestFirstLoginChangeInOneRequest(t *testing.T) {
	h := newHarness(t, nil)
	a := h.addUser("kim01", "svpn1234!", true, nil, certgen.UserOptions{Name: "김철수"})
	req := h.loginRequest(a)
	req.NewPassword = "short"
	_, err := h.send(context.Background(), req)
	wantCode(t, err, api.CodePasswordPolicy)
	req = h.loginRequest(a)
	req.NewPassword = "Brand-new9!"
	if _, err := h.send(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	u, _ := h.st.GetUser(context.Background(), a.id)
	if u.MustChangePassword {
		t.Fatal("must_change_password still set")
	}
}

func TestLockoutAfterFiveFailures(t *testing.T) {
	h := newHarness(t, nil)
	a := h.addUser("lee01", "Right-pass9!", false, nil, certgen.UserOptions{Name: "이순신"})
	good := a.password
	a.password = "wrong-pass"
	for i := 1; i <= 4; i++ {
		_, err := h.login(a)
		r := wantCode(t, err, api.CodeBadCredentials)
		if r.RemainingAttempts != 5-i {
			t.Errorf("attempt %d: remaining %d", i, r.RemainingAttempts)
		}
	}
	_, err := h.login(a)
	wantCode(t, err, api.CodeAccountLocked)
	a.password = good
	_, err = h.login(a)
	wantCode(t, err, api.CodeAccountLocked)
	if err := h.st.UnlockUser(context.Background(), a.id); err != nil {
		t.Fatal(err)
	}
	if _, err := h.login(a); err != nil {
		t.Fatalf("after unlock: %v", err)
	}
}

func TestSourceRateLimit(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.SourceLimit = 3 })
	for i := 0; i < 3; i++ {
		a := h.addUser("sweep"+string(rune('a'+i)), "Right-pass9!", false, nil, certgen.UserOptions{Name: "스윕", Key: h.pki.Root.Key})
		a.password = "guess"
		_, err := h.login(a)
		wantCode(t, err, api.CodeBadCredentials)
	}
	a := h.addUser("victim", "Right-pass9!", false, nil, certgen.UserOptions{Name: "피해자", Key: h.pki.Root.Key})
	_, err := h.login(a)
	wantCode(t, err, api.CodeRateLimited)
}

func TestCertificateRefusals(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	now := time.Now()
	key := h.pki.Root.Key // reuse one key: RSA generation is slow

	otherRoot, err := certgen.NewRootCA([]certgen.RDN{{Type: "C", Value: "KR"}, {Type: "O", Value: "Evil"}, {Type: "CN", Value: "Evil Root"}}, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		ca   *certgen.CA
		opts certgen.UserOptions
		prep func(a *account)
		code api.Code
	}{
		{"expired", nil, certgen.UserOptions{NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(0, 0, -1)}, nil, api.CodeCertificateExpired},
		{"not yet valid", nil, certgen.UserOptions{NotBefore: now.Add(48 * time.Hour), NotAfter: now.AddDate(1, 0, 0)}, nil, api.CodeCertificateNotYetValid},
		{"untrusted", otherRoot, certgen.UserOptions{}, nil, api.CodeCertificateUntrusted},
		{"wrong purpose", nil, certgen.UserOptions{PolicyOID: "1.2.410.200005.1.1.6.8"}, nil, api.CodeCertificateWrongPurpose},
		{"revoked", nil, certgen.UserOptions{}, func(a *account) {
			err := h.st.RevokeCertificate(ctx, store.Revocation{Serial: serialHex(a.identity.Certificate.X509.SerialNumber), Issuer: certstore.SubjectString(h.pki.Yessign.Cert), Reason: "keyCompromise"})
			if err != nil {
				t.Fatal(err)
			}
		}, api.CodeCertificateRevoked},
		{"not registered", nil, certgen.UserOptions{}, func(a *account) {
			if err := h.st.BindCertificate(ctx, a.id, store.CertBinding{Serial: "abcdef"}); err != nil {
				t.Fatal(err)
			}
		}, api.CodeCertificateNotRegistered},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Name, tc.opts.Key = "사용자", key
			a := h.addUser("cert"+string(rune('a'+i)), "Right-pass9!", false, tc.ca, tc.opts)
			if tc.prep != nil {
				tc.prep(a)
			}
			_, err := h.login(a)
			wantCode(t, err, tc.code)
			if _, ok := h.peers.has(a.wg.Public()); ok {
				t.Fatal("refused login added a peer")
			}
		})
	}
}

func TestSignatureAndChallengeRefusals(t *testing.T) {
	h := newHarness(t, nil)
	a := h.addUser("sig01", "Right-pass9!", false, nil, certgen.UserOptions{Name: "서명", Key: h.pki.Root.Key})
	ctx := context.Background()

	// A signature over another challenge.
	req := h.loginRequest(a)
	other := h.loginRequest(a)
	req.Signature = other.Signature
	_, err := h.send(ctx, req)
	wantCode(t, err, api.CodeSignatureInvalid)

	// A challenge for another WireGuard key.
	req = h.loginRequest(a)
	k, _ := wgkey.NewPrivate()
	req.WGPublicKey = k.Public().String()
	_, err = h.send(ctx, req)
	wantCode(t, err, api.CodeChallengeInvalid)

	// A replayed login.
	req = h.loginRequest(a)
	if _, err := h.send(ctx, req); err != nil {
		t.Fatal(err)
	}
	_, err = h.send(ctx, req)
	wantCode(t, err, api.CodeChallengeReplayed)

	// An expired challenge.
	req = h.loginRequest(a)
	h.clock.Advance(ChallengeTTL + time.Second)
	_, err = h.send(ctx, req)
	wantCode(t, err, api.CodeChallengeInvalid)

	// PSS signatures are accepted too.
	req = h.loginRequest(a)
	h.sign(req, a, api.SigRSAPSSSHA256)
	if _, err := h.send(ctx, req); err != nil {
		t.Fatalf("PSS login: %v", err)
	}
}

func TestPostureRefusal(t *testing.T) {
	h := newHarness(t, nil)
	a := h.addUser("av01", "Right-pass9!", false, nil, certgen.UserOptions{Name: "백신", Key: h.pki.Root.Key})
	req := h.loginRequest(a)
	req.Posture = api.Posture{Antivirus: []api.Antivirus{{Name: "ClamAV", Enabled: false}}}
	_, err := h.send(context.Background(), req)
	r := wantCode(t, err, api.CodePostureFailed)
	if r.InstallURL != "https://av.example.go.kr/install" {
		t.Fatalf("install URL %q", r.InstallURL)
	}
}

func TestSecondLoginReplacesFirst(t *testing.T) {
	h := newHarness(t, nil)
	a := h.addUser("dup01", "Right-pass9!", false, nil, certgen.UserOptions{Name: "중복", Key: h.pki.Root.Key})
	first, err := h.login(a)
	if err != nil {
		t.Fatal(err)
	}
	firstKey := a.wg.Public()
	a.wg, _ = wgkey.NewPrivate() // another PC
	second, err := h.login(a)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := h.peers.has(firstKey); ok {
		t.Fatal("the first session's peer is still there")
	}
	if _, ok := h.peers.has(a.wg.Public()); !ok {
		t.Fatal("the second session has no peer")
	}
	if first.Tunnel.Address != second.Tunnel.Address {
		t.Errorf("address changed: %s -> %s", first.Tunnel.Address, second.Tunnel.Address)
	}
	_, err = h.client.Heartbeat(context.Background(), first.SessionToken)
	if r := wantCode(t, err, api.CodeSessionEnded); r.EndReason != "replaced" {
		t.Fatalf("end reason %q", r.EndReason)
	}
}

func TestExpiryAndKickRemovePeers(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.SessionIdle = Duration(time.Minute) })
	ctx := context.Background()
	a := h.addUser("idle01", "Right-pass9!", false, nil, certgen.UserOptions{Name: "유휴", Key: h.pki.Root.Key})
	resp, err := h.login(a)
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(2 * time.Minute)
	h.srv.Reconcile(ctx)
	if _, ok := h.peers.has(a.wg.Public()); ok {
		t.Fatal("expired session kept its peer")
	}
	_, err = h.client.Heartbeat(ctx, resp.SessionToken)
	if r := wantCode(t, err, api.CodeSessionEnded); r.EndReason != "expired" {
		t.Fatalf("end reason %q", r.EndReason)
	}

	// An administrator's kick happens in another process (the CLI), through
	// the store; the serving node notices on its next reconcile.
	b := h.addUser("kick01", "Right-pass9!", false, nil, certgen.UserOptions{Name: "강퇴", Key: h.pki.Root.Key})
	resp, err = h.login(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.st.EndSession(ctx, resp.SessionID, api.EndKicked, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	h.srv.Reconcile(ctx)
	if _, ok := h.peers.has(b.wg.Public()); ok {
		t.Fatal("kicked session kept its peer")
	}
	_, err = h.client.Heartbeat(ctx, resp.SessionToken)
	if r := wantCode(t, err, api.CodeSessionEnded); r.EndReason != "kicked" {
		t.Fatalf("end reason %q", r.EndReason)
	}
}

func TestRestartRestoresPeers(t *testing.T) {
	h := newHarness(t, nil)
	a := h.addUser("re01", "Right-pass9!", false, nil, certgen.UserOptions{Name: "재시작", Key: h.pki.Root.Key})
	if _, err := h.login(a); err != nil {
		t.Fatal(err)
	}
	fresh := &peerTable{peers: map[wgkey.Public]netip.Addr{}}
	if _, err := New(context.Background(), h.cfg, Options{Store: h.st, Peers: fresh, Node: h.srv.node, Now: h.clock.Now, Logger: h.srv.log}); err != nil {
		t.Fatal(err)
	}
	if _, ok := fresh.has(a.wg.Public()); !ok {
		t.Fatal("a restarted gateway lost the session's peer")
	}
}

func TestMalformedRequests(t *testing.T) {
	h := newHarness(t, nil)
	url := strings.TrimSuffix(h.baseURL(), "/")
	httpc := h.httpClient()
	for _, tc := range []struct {
		path, body string
		status     int
	}{
		{api.PathLogin, `{`, 400},
		{api.PathLogin, `{"user_id":"a","bogus":1}`, 400},
		{api.PathLogin, `{"user_id":"a"} {"x":1}`, 400},
		{api.PathChallenge, `{"user_id":"a\nb","wg_public_key":"x"}`, 400},
		{api.PathChallenge, `{"user_id":"a","wg_public_key":"not-a-key"}`, 400},
		{api.PathLogin, `{"user_id":"` + strings.Repeat("a", api.MaxRequestBody) + `"}`, 400},
		{"/api/v2/nothing", `{}`, 400},
	} {
		resp, err := httpc.Post(url+tc.path, "application/json", strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var e api.ErrorResponse
		if resp.StatusCode != tc.status || json.Unmarshal(b, &e) != nil || e.Code == "" {
			t.Errorf("%s %.40q: %d %s", tc.path, tc.body, resp.StatusCode, b)
		}
	}
}
