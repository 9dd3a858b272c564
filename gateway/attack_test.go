package gateway

import (
	"context"
	"crypto/x509"
	"fmt"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/certstore/certgen"
	"github.com/opensvpn/svpn/client/gatewayapi"
	"github.com/opensvpn/svpn/gateway/password"
	"github.com/opensvpn/svpn/gateway/store"
	"github.com/opensvpn/svpn/wgkey"
)

// The attacks of issue 9 as tests: each fails on a gateway that tests the
// password before the certificate, counts failures from a snapshot, or
// changes a password without a complete login.

// burst sends reqs at once and returns the codes ("" for success).
func (h *harness) burst(reqs []*api.LoginRequest) []api.Code {
	codes := make([]api.Code, len(reqs))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, req := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := h.send(context.Background(), req)
			if err != nil {
				codes[i] = codeOf(err)
			}
		}()
	}
	close(start)
	wg.Wait()
	return codes
}

func codeOf(err error) api.Code {
	if r, ok := refusalOf(err); ok {
		return r.Code
	}
	return api.CodeOf(err)
}

// TestBurstEvaluatesAtMostFivePasswords: however many wrong passwords arrive
// at once, at most MaxFailures are evaluated and the account locks at
// exactly MaxFailures; with the right password in the burst, it is either
// accepted while the account is open (and the count restarts, as for any
// good login) or refused as locked — never accepted after the lock.
func TestBurstEvaluatesAtMostFivePasswords(t *testing.T) {
	for _, tc := range []struct {
		n     int
		right bool
	}{{20, false}, {50, false}, {200, false}, {20, true}, {50, true}, {200, true}} {
		t.Run(fmt.Sprintf("%d right=%v", tc.n, tc.right), func(t *testing.T) {
			h := newHarness(t, func(c *Config) { c.SourceLimit = 10_000 })
			h.patientClient() // 200 logins queue behind one SQLite writer, slower still under -race
			a := h.addUser("burst01", "Right-pass9!", false, nil, certgen.UserOptions{Name: "폭주", Key: h.pki.Root.Key})
			reqs := make([]*api.LoginRequest, tc.n)
			for i := range reqs {
				reqs[i] = h.loginRequest(a)
				reqs[i].Password = fmt.Sprintf("wrong-%d", i)
			}
			if tc.right {
				reqs[tc.n/2].Password = a.password // 19 wrong + 1 right, 49 + 1, 199 + 1
			}
			before := h.srv.hash.verified.Load()
			codes := h.burst(reqs)
			evaluated := h.srv.hash.verified.Load() - before
			u, _ := h.st.GetUser(context.Background(), a.id)
			counts := map[api.Code]int{}
			for _, c := range codes {
				counts[c]++
			}
			t.Logf("%d at once: %d evaluated, failures %d, locked %v, answers %v", tc.n, evaluated, u.FailedAttempts, u.Locked, counts)
			max := int64(h.cfg.MaxFailures)
			if counts[""] == 1 { // the right one won a slot before the lock: the count restarted
				max = 2 * max
			}
			if evaluated > max || counts[""] > 1 {
				t.Errorf("%d passwords evaluated (at most %d allowed), %d logins", evaluated, max, counts[""])
			}
			if u.FailedAttempts > h.cfg.MaxFailures || (u.FailedAttempts == h.cfg.MaxFailures) != u.Locked {
				t.Errorf("failures %d, locked %v", u.FailedAttempts, u.Locked)
			}
			if !tc.right && (!u.Locked || evaluated != max) {
				t.Errorf("all wrong: %d evaluated, locked %v; want %d and locked", evaluated, u.Locked, max)
			}
			if counts[api.CodeBadCredentials] >= h.cfg.MaxFailures+counts[""]*h.cfg.MaxFailures ||
				counts[""]+counts[api.CodeBadCredentials]+counts[api.CodeAccountLocked] != tc.n {
				t.Errorf("answers %v", counts)
			}
		})
	}
}

// TestNoGuessingWithoutTheKey: without the certificate's key, a request is
// answered the same whatever the password, the account's failure count and
// lock are untouched, and no password hash is computed.
func TestNoGuessingWithoutTheKey(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.SourceLimit = 10_000 })
	victim := h.addUser("victim01", "Right-pass9!", false, nil, certgen.UserOptions{Name: "피해자", Key: h.pki.Root.Key})
	stranger := h.addUser("stranger", "Other-pass9!", false, nil, certgen.UserOptions{Name: "타인", Key: h.pki.GPKI.Key})
	ctx := context.Background()
	attacks := map[string]func(pw string) *api.LoginRequest{
		"junk signature": func(pw string) *api.LoginRequest {
			req := h.loginRequest(victim)
			req.Password = pw
			req.Signature = append([]byte(nil), req.Signature...)
			req.Signature[10] ^= 1
			return req
		},
		"the victim's certificate, signed by another key": func(pw string) *api.LoginRequest {
			req := h.loginRequest(stranger)
			req.UserID, req.Password = victim.id, pw
			req.Certificate = victim.identity.Certificate.X509.Raw
			return req
		},
		"another person's valid certificate and signature": func(pw string) *api.LoginRequest {
			req := h.loginRequestFor(stranger, victim.id)
			req.Password = pw
			return req
		},
		"a certificate from an untrusted CA": func(pw string) *api.LoginRequest {
			req := h.loginRequest(victim)
			req.Password = pw
			req.Certificate = h.pki.Root.Cert.Raw
			return req
		},
	}
	before := h.srv.hash.verified.Load()
	for name, attack := range attacks {
		var answers []string
		for range 3 {
			for _, pw := range []string{victim.password, "wrong-guess1!"} {
				_, err := h.send(ctx, attack(pw))
				r, ok := refusalOf(err)
				if !ok {
					t.Fatalf("%s: %v", name, err)
				}
				answers = append(answers, string(r.Code)+": "+r.Message+fmt.Sprint(r.RemainingAttempts))
			}
		}
		for _, a := range answers[1:] {
			if a != answers[0] {
				t.Errorf("%s: the answer depends on the password: %q", name, answers)
				break
			}
		}
	}
	u, _ := h.st.GetUser(ctx, victim.id)
	if u.FailedAttempts != 0 || u.Locked {
		t.Errorf("unsigned guesses counted: failures %d, locked %v", u.FailedAttempts, u.Locked)
	}
	if n := h.srv.hash.verified.Load() - before; n != 0 {
		t.Errorf("%d password hashes for requests without a valid signature", n)
	}
	// The victim still logs in.
	if _, err := h.login(victim); err != nil {
		t.Fatal(err)
	}
}

// TestUnknownAccountLooksUnregistered: an unknown ID and a certificate not
// bound to a real account get the same answer, so a certificate holder
// cannot enumerate accounts; neither tells how many attempts are left.
func TestUnknownAccountLooksUnregistered(t *testing.T) {
	h := newHarness(t, nil)
	real := h.addUser("real01", "Right-pass9!", false, nil, certgen.UserOptions{Name: "실존", Key: h.pki.Root.Key})
	other := h.addUser("other01", "Right-pass9!", false, nil, certgen.UserOptions{Name: "타인", Key: h.pki.Root.Key})
	ctx := context.Background()
	_, errUnknown := h.send(ctx, h.loginRequestFor(other, "nobody01"))
	_, errReal := h.send(ctx, h.loginRequestFor(other, real.id))
	u, _ := refusalOf(errUnknown)
	r, _ := refusalOf(errReal)
	if u == nil || r == nil || !reflect.DeepEqual(u, r) || u.Code != api.CodeCertificateNotRegistered || u.RemainingAttempts != 0 {
		t.Fatalf("unknown: %v; existing: %v", errUnknown, errReal)
	}
}

// TestFailuresResetAfterGoodLogin: consecutive failures, not lifetime ones.
func TestFailuresResetAfterGoodLogin(t *testing.T) {
	h := newHarness(t, nil)
	a := h.addUser("reset01", "Right-pass9!", false, nil, certgen.UserOptions{Name: "초기화", Key: h.pki.Root.Key})
	good := a.password
	for round := range 3 {
		a.password = "wrong-pass1!"
		for range h.cfg.MaxFailures - 1 {
			_, err := h.login(a)
			wantCode(t, err, api.CodeBadCredentials)
		}
		a.password = good
		if _, err := h.login(a); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if u, _ := h.st.GetUser(context.Background(), a.id); u.FailedAttempts != 0 || u.Locked {
			t.Fatalf("round %d: failures %d locked %v after a good login", round, u.FailedAttempts, u.Locked)
		}
	}
}

// TestSourceLimitHoldsUnderConcurrency: 40 attempts at once from one
// address against a limit of 30: exactly 30 are processed.
func TestSourceLimitHoldsUnderConcurrency(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.SourceLimit = 30 })
	reqs := make([]*api.LoginRequest, 40)
	for i := range reqs {
		a := h.addUser(fmt.Sprintf("src%02d", i), "Right-pass9!", false, nil, certgen.UserOptions{Name: "출처", Key: h.pki.Root.Key})
		reqs[i] = h.loginRequest(a)
		reqs[i].Password = "wrong-pass1!"
	}
	counts := map[api.Code]int{}
	for _, c := range h.burst(reqs) {
		counts[c]++
	}
	if counts[api.CodeRateLimited] != 10 || counts[api.CodeBadCredentials] != 30 {
		t.Fatalf("answers %v, want 30 bad_credentials and 10 rate_limited", counts)
	}
}

// TestNewPasswordOnlyWithSession: a first-login password change whose
// session cannot be created (no free address) leaves the password as it
// was.
func TestNewPasswordOnlyWithSession(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.WG.Address = "10.77.0.1/30" }) // one client address
	first := h.addUser("first01", "Right-pass9!", false, nil, certgen.UserOptions{Name: "첫째", Key: h.pki.Root.Key})
	if _, err := h.login(first); err != nil {
		t.Fatal(err)
	}
	second := h.addUser("second01", "svpn1234!", true, nil, certgen.UserOptions{Name: "둘째", Key: h.pki.Root.Key})
	req := h.loginRequest(second)
	req.NewPassword = "Brand-new9!"
	_, err := h.send(context.Background(), req)
	wantCode(t, err, api.CodePoolExhausted)
	u, _ := h.st.GetUser(context.Background(), second.id)
	if !u.MustChangePassword {
		t.Fatal("the password changed although no session was created")
	}
}

// TestBindOnFirstLoginProvesThePerson: an unbound account adopts a
// certificate only when its holder's name is the account's and, with an
// identity number registered, its VID matches — and only once the
// password is proven.
func TestBindOnFirstLoginProvesThePerson(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.BindOnFirstLogin = true })
	ctx := context.Background()
	unbound := func(id, name, idn string) {
		hash, _ := hashFor(h, "Right-pass9!")
		if err := h.st.AddUser(ctx, store.User{ID: id, DisplayName: name, PasswordHash: hash, IdentityNumber: idn}); err != nil {
			t.Fatal(err)
		}
	}
	// Somebody else's valid certificate: refused with its own code.
	unbound("kim01", "김철수", "")
	mallory := h.addUser("mallory", "Right-pass9!", false, nil, certgen.UserOptions{Name: "말로리", Key: h.pki.Root.Key})
	req := h.loginRequestFor(mallory, "kim01")
	req.Password = "Right-pass9!"
	_, err := h.send(ctx, req)
	wantCode(t, err, api.CodeCertificateIdentityMismatch)

	// The right person, wrong password: not bound.
	kim := h.userWithCertificate("kim01", "Right-pass9!", nil, certgen.UserOptions{Name: "김철수", Key: h.pki.Root.Key})
	kim.password = "wrong-pass1!"
	_, err = h.login(kim)
	wantCode(t, err, api.CodeBadCredentials)
	if u, _ := h.st.GetUser(ctx, "kim01"); !u.Cert.IsZero() {
		t.Fatal("bound before the password was proven")
	}
	kim.password = "Right-pass9!"
	if _, err := h.login(kim); err != nil {
		t.Fatal(err)
	}
	if u, _ := h.st.GetUser(ctx, "kim01"); !bindingMatches(u.Cert, kim.identity.Certificate.X509) || u.Cert.Issuer == "" {
		t.Fatalf("binding %+v", u.Cert)
	}

	// With an identity number, the VID must match it.
	const idn = "8001011234567"
	unbound("lee01", "이영희", idn)
	lee := h.userWithCertificate("lee01", "Right-pass9!", nil, certgen.UserOptions{Name: "이영희", Key: h.pki.Root.Key, IDN: idn})
	withR := lee.identity.Key.Random
	lee.identity.Key.Random = nil
	_, err = h.login(lee)
	wantCode(t, err, api.CodeCertificateIdentityMismatch)
	lee.identity.Key.Random = append([]byte{1}, withR[1:]...)
	_, err = h.login(lee)
	wantCode(t, err, api.CodeCertificateIdentityMismatch)
	lee.identity.Key.Random = withR
	if _, err := h.login(lee); err != nil {
		t.Fatal(err)
	}
	if u, _ := h.st.GetUser(ctx, "lee01"); u.IdentityNumber != "" || u.Cert.IsZero() {
		t.Fatalf("after binding: identity number kept %v, binding %+v", u.IdentityNumber != "", u.Cert)
	}
}

// TestPasswordEndpointThrottled: /auth/password counts against the source
// like logins do.
func TestPasswordEndpointThrottled(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.SourceLimit = 3 })
	ctx := context.Background()
	for i := range 5 {
		err := h.client.ChangePassword(ctx, "not-a-session", &api.PasswordChangeRequest{UserID: "x", OldPassword: "a", NewPassword: "b"})
		want := api.CodeUnauthorized
		if i >= 3 {
			want = api.CodeRateLimited
		}
		wantCode(t, err, want)
	}
}

// patientClient gives the harness a client that waits minutes, not seconds,
// for an answer: a burst measures counting, not latency.
func (h *harness) patientClient() {
	h.t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(h.ts.Certificate())
	c, err := gatewayapi.New(h.ts.URL, gatewayapi.Options{RootCAs: pool, Timeout: 3 * time.Minute})
	if err != nil {
		h.t.Fatal(err)
	}
	h.client = c
}

func refusalOf(err error) (*api.ErrorResponse, bool) { return api.RefusalOf(err) }

func hashFor(h *harness, pw string) (string, error) { return password.Hash(pw, h.cfg.Argon2) }

// loginRequestFor is a correctly signed request by a's key and certificate
// that names another account.
func (h *harness) loginRequestFor(a *account, userID string) *api.LoginRequest {
	h.t.Helper()
	as := *a
	as.id = userID
	return h.loginRequest(&as)
}

// userWithCertificate issues a certificate (NPKI files, read back) for an
// account created elsewhere; ca nil is the yessign-like CA.
func (h *harness) userWithCertificate(id, pw string, ca *certgen.CA, opts certgen.UserOptions) *account {
	h.t.Helper()
	if ca == nil {
		ca = h.pki.Yessign
	}
	u, err := ca.IssueUser(opts)
	if err != nil {
		h.t.Fatal(err)
	}
	dir, err := u.WriteNPKI(filepath.Join(h.t.TempDir(), "NPKI"), "cert-pw-1!", certstore.SchemeSEEDLegacy)
	if err != nil {
		h.t.Fatal(err)
	}
	c, err := certstore.Load(dir)
	if err != nil {
		h.t.Fatal(err)
	}
	ident, err := c.Unlock([]byte("cert-pw-1!"))
	if err != nil {
		h.t.Fatal(err)
	}
	wg, _ := wgkey.NewPrivate()
	return &account{id: id, password: pw, identity: ident, wg: wg}
}
