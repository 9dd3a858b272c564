package ui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/certstore/certgen"
	"github.com/opensvpn/svpn/certstore/token"
	"github.com/opensvpn/svpn/gateway"
	"github.com/opensvpn/svpn/internal/softhsm"
)

// TestTokenTab: the picker's 보안토큰 lists the demo's SoftHSM token and
// its certificate, asks for the PIN instead of the certificate password,
// reports a wrong PIN in place with its number and the tries-left
// sentence, and logs in with the key on the token through svpnd.
func TestTokenTab(t *testing.T) {
	t2 := openTokenPicker(t)
	e, u, rec, x, lw, p := t2.e, t2.u, t2.rec, t2.x, t2.lw, t2.p
	test.Tap(p.tokenBtn)
	if p.loc != certstore.LocationToken || len(p.shown) != 1 {
		t.Fatalf("token tab: location %s, rows %v", p.loc, p.shown)
	}
	if got := p.shown[0].String(); !strings.HasPrefix(got, "정토큰 | 금융결제원 | 범용 개인 | ") {
		t.Errorf("token row %q", got)
	}
	if p.pwForm.Items[0].Text != "보안토큰 PIN" || !p.tok.hint.Visible() || !strings.Contains(p.tok.hint.Text, gateway.DemoTokenLabel) ||
		!strings.Contains(p.tok.hint.Text, "SoftHSM") {
		t.Errorf("PIN label %q, hint %q", p.pwForm.Items[0].Text, p.tok.hint.Text)
	}
	// A second token plugged in shows by itself, and goes when pulled out.
	demoTok, err := softhsm.New(filepath.Dir(u.SoftHSM2Conf), gateway.DemoTokenLabel, u.CertPassword)
	if err != nil {
		t.Fatal(err)
	}
	second, folder, err := demoTok.AddToken("second")
	if err != nil {
		t.Fatal(err)
	}
	pki, err := certgen.NewPKI()
	if err != nil {
		t.Fatal(err)
	}
	other, err := pki.Yessign.IssueUser(certgen.UserOptions{Name: "두번째"})
	if err != nil {
		t.Fatal(err)
	}
	if err := second.Import(other.Cert, other.Key, []byte{1}, "signCert"); err != nil {
		t.Fatal(err)
	}
	plugged := time.Now()
	eventually(t, 20*time.Second, "the token plugged in", func() bool { return len(p.shown) == 2 })
	t.Logf("plugged-in token shown after %v (refresh every %v)", time.Since(plugged).Round(time.Millisecond), tokenRefresh)
	if !strings.Contains(p.tok.hint.Text, "second") {
		t.Errorf("hint %q", p.tok.hint.Text)
	}
	if err := os.RemoveAll(folder); err != nil {
		t.Fatal(err)
	}
	pulled := time.Now()
	eventually(t, 20*time.Second, "the token pulled out", func() bool { return len(p.shown) == 1 })
	t.Logf("pulled-out token gone after %v", time.Since(pulled).Round(time.Millisecond))
	p.selectRow(0)

	// No PIN: asked for, nothing sent.
	test.Tap(p.okBtn)
	if got := p.problem.Text(); got != "보안토큰 PIN을 입력하세요." {
		t.Errorf("empty PIN: %q", got)
	}
	test.Type(p.password, "wrong-pin")
	test.Tap(p.okBtn)
	eventually(t, 20*time.Second, "the wrong-PIN message", func() bool { return strings.HasPrefix(p.problem.Text(), "E-245 ") })
	if !strings.Contains(p.problem.Text(), "남은 시도") || p.password.Text != "" {
		t.Errorf("wrong PIN: %q, field %q", p.problem.Text(), p.password.Text)
	}
	if st, _ := e.client.Status(context.Background()); st.State != api.StateDisconnected {
		t.Errorf("a wrong PIN reached svpnd: %s", st.State)
	}
	// Back to the hard disk: the field is the certificate password again.
	test.Tap(p.locButtons[certstore.LocationRemovable])
	if p.pwForm.Items[0].Text != "인증서 암호" || p.tok.hint.Visible() {
		t.Errorf("label %q after leaving the token tab", p.pwForm.Items[0].Text)
	}
	test.Tap(p.tokenBtn)
	test.Type(p.password, u.CertPassword)
	test.Tap(p.okBtn)
	eventually(t, 30*time.Second, "the password change window", func() bool { return lw.pwChange != nil })
	if lw.pwChange.flow == nil || lw.pwChange.flow.tokenID == nil {
		t.Fatal("the flow does not hold the token login")
	}
	test.Type(lw.pwChange.newPW, "Token-ui9!")
	test.Type(lw.pwChange.confirm, "Token-ui9!")
	lw.pwChange.confirm.OnSubmitted("")
	eventually(t, 30*time.Second, "the connection", func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return len(rec.connected) == 1
	})
	if st := rec.connected[0]; st.User != u.UserID {
		t.Errorf("connected as %q", st.User)
	}
	if c, ok := x.lastCertificate(); !ok || c.Location != string(certstore.LocationToken) {
		t.Errorf("remembered certificate: %+v", c)
	}
}

// TestPINStateTexts: each tries-left state has its own sentence.
func TestPINStateTexts(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range []token.PINState{token.PINCountLow, token.PINFinalTry, token.PINLocked} {
		txt := pinStateText(s)
		if txt == "" || seen[txt] {
			t.Errorf("%s: %q", s, txt)
		}
		seen[txt] = true
	}
	if pinStateText(token.PINOK) != "" {
		t.Error("a warning for a PIN in good standing")
	}
	// A locked token is the helpdesk's to reset: its sentence shows.
	if !needsHelpdesk(api.CodeTokenPINLocked) {
		t.Error("a locked token does not show the helpdesk")
	}
	pr := tokenProblem(&token.PINError{Code: api.CodeTokenPINWrong, State: token.PINFinalTry})
	if !strings.HasPrefix(pr.String(), "E-245 ") || !strings.Contains(pr.Text, pinStateText(token.PINFinalTry)) {
		t.Errorf("final try: %q", pr.String())
	}
}

// tokenPicker is the demo's token account at the picker, its certificates
// (the token's among them) listed.
type tokenPicker struct {
	e   *demoEnv
	u   *gateway.DemoUser
	rec *recorder
	x   *Windows
	lw  *loginWindow
	p   *pickerWindow
}

// openTokenPicker starts the demo gateway and svpnd, types the token
// account's ID and password in the login window and waits for the picker
// to list the demo's SoftHSM token. It skips without SoftHSM.
func openTokenPicker(t *testing.T) tokenPicker {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a gateway and svpnd")
	}
	if err := softhsm.Available(); err != nil {
		t.Skipf("SoftHSM tests skipped: %v", err)
	}
	e := startDemo(t)
	var u *gateway.DemoUser
	for i := range e.demo.Users {
		if e.demo.Users[i].Kind == "token" {
			u = &e.demo.Users[i]
		}
	}
	if u == nil {
		t.Fatalf("no token account: %v", e.demo.Notes)
	}
	t.Setenv("SOFTHSM2_CONF", u.SoftHSM2Conf)
	a := test.NewTempApp(t)
	a.Settings().SetTheme(Theme{})
	rec := &recorder{}
	x := newTestWindows(t, a, Options{Daemon: e.client, Socket: e.sock, Sources: e.sources, Version: "test",
		OpenURL: rec.openURL, OnConnected: rec.onConnected, PKCS11Modules: []string{u.PKCS11Module}})
	w := showLogin(t, x)
	lw := x.login
	t.Cleanup(func() { w.Close() })
	test.Type(lw.user, u.UserID)
	test.Type(lw.password, u.InitialPassword)
	lw.password.OnSubmitted(lw.password.Text)
	p := lw.picker
	if p == nil {
		t.Fatal("the picker did not open")
	}
	eventually(t, 10*time.Second, "the scan", func() bool { return p.scanned })
	eventually(t, 20*time.Second, "the token listing", func() bool { return p.tok.listed && len(p.tok.rows) > 0 })
	return tokenPicker{e: e, u: u, rec: rec, x: x, lw: lw, p: p}
}
