package ui

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/client/daemon"
	"github.com/opensvpn/svpn/client/local"
	"github.com/opensvpn/svpn/gateway"
	"github.com/opensvpn/svpn/gateway/password"
)

// demoEnv is the demo gateway and svpnd (userspace) running in this test
// process on loopback.
type demoEnv struct {
	dir    string
	demo   *gateway.Demo
	sock   string
	usb2   string // a second drive holding the real yessign certificate
	stopD  context.CancelFunc
	doneD  chan error
	client *local.Client
}

func startDemo(t *testing.T) *demoEnv {
	t.Helper()
	dir := t.TempDir()
	cfg, d, err := gateway.PrepareDemo(dir, "127.0.0.1:0", 0)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Argon2 = password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	// A port of its own: PrepareDemo's defaults take UDP 51820, which other
	// packages' tests running in parallel use too.
	cfg.WG.ListenPort, cfg.WG.Endpoint = 0, "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	g, err := gateway.Start(ctx, cfg, gateway.StartOptions{Logger: slog.New(slog.DiscardHandler), Portal: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	if err := gateway.EnsureDemoUser(ctx, g.Store, d, cfg.Argon2); err != nil {
		t.Fatal(err)
	}
	p, err := api.LoadProfile(d.Profile)
	if err != nil {
		t.Fatal(err)
	}
	p.GatewayURL = "https://" + g.APIAddr.String()
	b, _ := json.Marshal(p)
	if err := os.WriteFile(d.Profile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	e := &demoEnv{dir: dir, demo: d, sock: filepath.Join(dir, "d.sock"), usb2: filepath.Join(dir, "usb2")}
	copyRealFixture(t, e.usb2)
	e.startDaemon(t)
	e.client = local.NewClient(e.sock)
	t.Cleanup(e.client.Close)
	return e
}

func (e *demoEnv) startDaemon(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan struct{}), make(chan error, 1)
	go func() {
		done <- daemon.Run(ctx, daemon.Options{Userspace: true, Socket: e.sock, Profile: e.demo.Profile, ProxyAddr: "127.0.0.1:0",
			Version: "test", LogOutput: io.Discard, Ready: func() { close(ready) }})
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatal(err)
	case <-time.After(20 * time.Second):
		t.Fatal("svpnd did not start")
	}
	e.stopD, e.doneD = cancel, done
	t.Cleanup(e.stopDaemon)
}

func (e *demoEnv) stopDaemon() {
	if e.stopD != nil {
		e.stopD()
		<-e.doneD
		e.stopD = nil
	}
}

// sources are the two simulated USB drives.
func (e *demoEnv) sources() []certstore.Source {
	return append(certstore.SourcesForDrive(e.demo.DriveRoot, certstore.LocationRemovable),
		certstore.SourcesForDrive(e.usb2, certstore.LocationRemovable)...)
}

// eventually waits for cond, applying the windows' posted UI updates
// (pump) before each look.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for pump(); !cond(); pump() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// recorder collects what the app asks of the desktop.
type recorder struct {
	mu        sync.Mutex
	urls      []string
	connected []api.Status
	notices   []Notice
}

func (r *recorder) openURL(u *url.URL) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.urls = append(r.urls, u.String())
	return nil
}

func (r *recorder) onConnected(st api.Status) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.connected = append(r.connected, st)
}

func (r *recorder) notice(n Notice) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notices = append(r.notices, n)
}

func (r *recorder) hasNotice(title string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range r.notices {
		if n.Title == title {
			return true
		}
	}
	return false
}

// TestLoginFlow drives the windows as a user would, against the demo
// gateway and svpnd: the login window with the gateway's banner and the
// profile's links; the picker listing the demo certificate and the real
// yessign one (expired, last); a wrong certificate password reported in
// place; the first-login password change with its live checklist; the
// connection, announced as the tray would; the status view; logout; and
// svpnd restarting under the open window.
func TestLoginFlow(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a gateway and svpnd")
	}
	e := startDemo(t)
	a := test.NewTempApp(t)
	a.Settings().SetTheme(Theme{})
	rec := &recorder{}
	x := newTestWindows(t, a, Options{Daemon: e.client, Socket: e.sock, Sources: e.sources, Version: "test",
		OpenURL: rec.openURL, OnConnected: rec.onConnected})

	// What the tray process does with the same stream.
	tray := &TrayModel{}
	wctx, wcancel := context.WithCancel(context.Background())
	t.Cleanup(wcancel)
	go WatchDaemon(wctx, e.client, func(st api.Status) {
		_, fx := tray.OnStatus(st)
		for _, n := range fx.Notices {
			rec.notice(n)
		}
		if fx.OpenURL != "" {
			u, _ := url.Parse(fx.OpenURL)
			rec.openURL(u)
		}
	}, func(error) {})

	w := showLogin(t, x)
	lw := x.login
	t.Cleanup(func() { w.Close() })
	if !strings.Contains(w.Title(), "원격근무서비스") {
		t.Errorf("window title %q", w.Title())
	}
	eventually(t, 10*time.Second, "the profile", func() bool { return lw.title.Text == "원격근무서비스 (데모)" })
	if !lw.banner.Visible() || !strings.Contains(lw.banner.Text, "데모 게이트웨이") {
		t.Errorf("banner: %q", lw.banner.Text)
	}
	if !strings.Contains(lw.helpdesk.Text, "1833-6570") || !lw.avLink.Visible() || lw.avLink.Text != "백신 프로그램 설치 (필수)" ||
		lw.manualLink.URL == nil || lw.manualLink.URL.String() != "https://www.example.go.kr/svpn/manual" {
		t.Errorf("links and helpdesk: %q %v %v", lw.helpdesk.Text, lw.avLink.URL, lw.manualLink.URL)
	}

	// Empty fields are caught before the picker.
	test.Tap(lw.loginBtn)
	if got := lw.problem.Text(); got != "아이디를 입력하세요." {
		t.Errorf("empty ID: %q", got)
	}
	test.Type(lw.user, e.demo.UserID)
	test.Tap(lw.loginBtn)
	if got := lw.problem.Text(); got != "비밀번호를 입력하세요." {
		t.Errorf("empty password: %q", got)
	}
	test.Type(lw.password, e.demo.InitialPassword)
	lw.password.OnSubmitted(lw.password.Text) // Enter submits
	if lw.picker == nil {
		t.Fatal("the picker did not open")
	}
	if a.Preferences().String(prefLastUser) != e.demo.UserID {
		t.Error("the last ID is not remembered")
	}
	p := lw.picker
	if p.w.Title() != "인증서 선택" {
		t.Errorf("picker title %q", p.w.Title())
	}
	if !lw.loginBtn.Disabled() {
		t.Error("로그인 stays enabled while the picker is open")
	}
	eventually(t, 10*time.Second, "the certificates", func() bool { return len(p.shown) == 2 })
	if p.loc != certstore.LocationRemovable {
		t.Errorf("location %s: the certificates are on removable drives", p.loc)
	}
	if got := p.shown[0].String(); got != "홍길동 | 금융결제원 | 범용 개인 | "+p.shown[0].Info.NotAfter.Local().Format("2006-01-02") {
		t.Errorf("first row %q", got)
	}
	if got := p.shown[1].String(); !strings.HasPrefix(got, "HKD | 금융결제원 | 은행·보험·카드용 | 2020-03-25") || !strings.HasSuffix(got, "(만료)") {
		t.Errorf("the expired yessign certificate, last: %q", got)
	}
	if sel, ok := p.selectedRow(); !ok || sel.Info.Name != "홍길동" {
		t.Errorf("preselected: %v %v", sel, ok)
	}
	if p.tokenBtn.Disabled() {
		t.Error("보안토큰 must be enabled")
	}
	// Arrow keys move the selection.
	p.table.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	if sel, _ := p.selectedRow(); sel.Info.Name != "HKD" {
		t.Errorf("arrow down: %v", sel)
	}
	// The expired certificate is refused without asking the gateway.
	test.Type(p.password, "x")
	test.Tap(p.okBtn)
	if got := p.problem.Text(); !strings.HasPrefix(got, "E-201 ") {
		t.Errorf("expired certificate: %q", got)
	}
	p.table.TypedKey(&fyne.KeyEvent{Name: fyne.KeyUp})
	p.password.SetText("")

	// A wrong certificate password is reported in place.
	test.Type(p.password, "wrong-password")
	test.Tap(p.okBtn)
	eventually(t, 10*time.Second, "the wrong-password message", func() bool { return strings.HasPrefix(p.problem.Text(), "E-211 ") })
	if lw.picker != p || p.done || p.password.Text != "" {
		t.Errorf("the picker must stay open with the field cleared (open %v, text %q)", lw.picker == p, p.password.Text)
	}
	if st, _ := e.client.Status(context.Background()); st.State != api.StateDisconnected {
		t.Errorf("a wrong certificate password reached svpnd: %s", st.State)
	}

	// The right one: the gateway wants a new password.
	test.Type(p.password, e.demo.CertPassword)
	test.Tap(p.okBtn)
	eventually(t, 20*time.Second, "the password change window", func() bool { return lw.pwChange != nil })
	if lw.picker != nil {
		t.Error("the picker stays open after the certificate was accepted")
	}
	pw := lw.pwChange
	if pw.w.Title() != "비밀번호 변경" {
		t.Errorf("title %q", pw.w.Title())
	}
	for _, it := range pw.checklistState() {
		if it.State != RulePending {
			t.Errorf("before typing, %s is %v", it.Rule, it.State)
		}
	}
	if !pw.okBtn.Disabled() {
		t.Error("변경 enabled before typing")
	}
	test.Type(pw.newPW, "Remote9")
	got := states(pw.checklistState())
	if got["length"] != RuleBroken || got["special"] != RuleBroken || got["letter"] != RuleMet || got["digit"] != RuleMet || got["confirm"] != RulePending {
		t.Errorf("mid-typing checklist: %v", got)
	}
	if pw.items[0].label.Text != "9~30자" || pw.items[0].label.Importance != widget.DangerImportance {
		t.Errorf("first checklist line: %q", pw.items[0].label.Text)
	}
	test.Type(pw.newPW, "-work!")
	test.Type(pw.confirm, "Remote9-work!")
	if !ChecklistOK(pw.checklistState()) || pw.okBtn.Disabled() {
		t.Fatalf("complete password: %v, button disabled %v", states(pw.checklistState()), pw.okBtn.Disabled())
	}
	pw.confirm.OnSubmitted(pw.confirm.Text) // Enter
	eventually(t, 30*time.Second, "the connection", func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return len(rec.connected) == 1
	})
	st := rec.connected[0]
	if st.State != api.StateConnected || st.User != e.demo.UserID || st.PortalLocalURL == "" {
		t.Errorf("connected status %+v", st)
	}
	if lw.pwChange != nil || lw.busy {
		t.Error("the flow did not end")
	}
	eventually(t, 5*time.Second, "the tray's notification", func() bool { return rec.hasNotice("원격근무서비스 접속 완료") })
	rec.mu.Lock()
	if len(rec.urls) != 1 || rec.urls[0] != st.PortalLocalURL {
		t.Errorf("portal opened: %v, want %s", rec.urls, st.PortalLocalURL)
	}
	rec.mu.Unlock()
	eventually(t, 5*time.Second, "the status view", func() bool { return lw.statusPanel.Visible() && !lw.form.Visible() })
	if lw.statusHead.Text != "원격근무서비스에 접속되어 있습니다." || lw.statusValues["status.address"].Text != st.Address {
		t.Errorf("status view: %q %q", lw.statusHead.Text, lw.statusValues["status.address"].Text)
	}
	if c, ok := x.lastCertificate(); !ok || c.Name != "홍길동" || c.Serial == "" {
		t.Errorf("certificate used: %+v", c)
	}

	// The diagnostics show the connection and the certificate, no secret.
	x.ShowDiagnostics()
	dw := x.diag
	eventually(t, 10*time.Second, "the diagnostics", func() bool {
		t := dw.Text()
		return strings.Contains(t, st.Address) && strings.Contains(t, "1833-6570")
	})
	text := dw.Text()
	for _, want := range []string{"[연결]", "접속됨", "[사용한 인증서]", "홍길동", "[네트워크]", "10.77.0.0/24", "[보안 점검]", "[버전]", "svpnd", "[최근 오류]", "[이 PC 환경]", "1833-6570"} {
		if !strings.Contains(text, want) {
			t.Errorf("diagnostics lack %q:\n%s", want, text)
		}
	}
	// The first login's password change was a step, not an error.
	if strings.Contains(text, "E-103") {
		t.Errorf("diagnostics list the password change as an error:\n%s", text)
	}
	for _, secret := range []string{e.demo.InitialPassword, e.demo.CertPassword, "Remote9-work!"} {
		if strings.Contains(text, secret) {
			t.Errorf("diagnostics leak %q", secret)
		}
	}
	dw.copyText()
	if a.Clipboard().Content() != text {
		t.Error("복사 did not copy the text")
	}
	dw.w.Close()

	// 연결 끊기 from the status view: asked first; 취소 (Escape) keeps the
	// connection, the question's 연결 끊기 ends it.
	test.Tap(lw.logoutBtn)
	if lw.confirm == nil {
		t.Fatal("연결 끊기 did not ask")
	}
	press(lw.w, fyne.KeyEscape)
	if lw.confirm != nil || !lw.statusPanel.Visible() {
		t.Fatal("Escape did not keep the connection")
	}
	test.Tap(lw.logoutBtn)
	var yes *keyButton
	for _, o := range test.LaidOutObjects(lw.w.Canvas().Overlays().Top()) {
		if b, ok := o.(*keyButton); ok && b.Text == T("status.disconnect") {
			yes = b
		}
	}
	test.Tap(yes)
	eventually(t, 10*time.Second, "the form after logout", func() bool { return lw.form.Visible() && !lw.statusPanel.Visible() })
	eventually(t, 5*time.Second, "the password field focused after logout", func() bool { return lw.w.Canvas().Focused() == lw.password })
	eventually(t, 5*time.Second, "the logout notification", func() bool { return rec.hasNotice("원격근무서비스 접속 종료") })

	// svpnd goes away and comes back while the window is open.
	e.stopDaemon()
	eventually(t, 10*time.Second, "the daemon warning", func() bool {
		return lw.daemonBanner.Visible() && strings.HasPrefix(lw.daemonLabel.Text, "E-601 ")
	})
	test.Type(lw.password, "x")
	test.Tap(lw.loginBtn)
	// One place for the error: the banner says E-601, once; nothing stale
	// or doubled under the form, and no picker.
	if lw.problem.Text() != "" || lw.picker != nil || !strings.HasPrefix(lw.daemonLabel.Text, "E-601 ") {
		t.Errorf("login without svpnd: inline %q, banner %q", lw.problem.Text(), lw.daemonLabel.Text)
	}
	e.startDaemon(t)
	eventually(t, 15*time.Second, "reconnecting to svpnd", func() bool { return !lw.daemonBanner.Visible() && lw.daemonUp })
	if lw.problem.Text() != "" {
		t.Errorf("an error outlived svpnd's return: %q", lw.problem.Text())
	}
}

// TestLoginFlowBadPassword: a wrong account password comes back to the
// login window with its code and the attempts left.
func TestLoginFlowBadPassword(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a gateway and svpnd")
	}
	e := startDemo(t)
	a := test.NewTempApp(t)
	x := newTestWindows(t, a, Options{Daemon: e.client, Socket: e.sock, Sources: e.sources, Version: "test",
		OpenURL: func(*url.URL) error { return nil }})
	w := showLogin(t, x)
	t.Cleanup(func() { w.Close() })
	lw := x.login
	test.Type(lw.user, e.demo.UserID)
	test.Type(lw.password, "not-the-password1!")
	test.Tap(lw.loginBtn)
	p := lw.picker
	eventually(t, 10*time.Second, "the certificates", func() bool { return len(p.shown) > 0 })
	test.Type(p.password, e.demo.CertPassword)
	test.Tap(p.okBtn)
	// failed() ends the flow in one step, on the login's goroutine under
	// Fyne's test driver; wait for all of it (the password is cleared
	// after the problem is shown).
	eventually(t, 20*time.Second, "the refusal, the password cleared", func() bool {
		return lw.picker == nil && !lw.busy && lw.problem.Text() != "" && lw.password.Text == ""
	})
	if got := lw.problem.Text(); !strings.HasPrefix(got, "E-101 ") || !strings.Contains(got, "남은 시도 횟수: 4회") {
		t.Errorf("bad password: %q", got)
	}
	if lw.password.Text != "" || lw.loginBtn.Disabled() {
		t.Error("the password field must be cleared and the form usable again")
	}
	// svpnd goes away: the E-101 described a login svpnd no longer holds,
	// so the banner's E-601 replaces it rather than standing beside it.
	e.stopDaemon()
	eventually(t, 10*time.Second, "the daemon warning", func() bool { return lw.daemonBanner.Visible() })
	if got := lw.problem.Text(); got != "" {
		t.Errorf("a stale error beside the E-601 banner: %q", got)
	}
}
