package ui

import (
	"context"
	"crypto/x509"
	"image/png"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/mobileid"
	"github.com/opensvpn/svpn/mobileid/phone"
	"github.com/opensvpn/svpn/mobileid/wallet"
)

// mobileDaemon is svpnd's QR login with scripted outcomes.
type mobileDaemon struct {
	scriptedDaemon
	ttl     time.Duration
	mu      sync.Mutex
	begins  []string // user IDs
	cancels []string
	outcome chan error // nil = connected
}

func (d *mobileDaemon) MobileBegin(_ context.Context, user string) (*api.MobileLoginBeginResponse, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.begins = append(d.begins, user)
	qr, _ := mobileid.NewRequest(strings.Repeat("Q", mobileid.TrxCodeLen), "https://gw.example.go.kr").Encode()
	return &api.MobileLoginBeginResponse{LoginID: "m" + string(rune('0'+len(d.begins))), QR: qr, ShortCode: "4821",
		ExpiresAt: time.Now().Add(d.ttl)}, nil
}

func (d *mobileDaemon) MobileWait(ctx context.Context, id string) (api.Status, error) {
	select {
	case err := <-d.outcome:
		if err != nil {
			return api.Status{}, err
		}
		return api.Status{State: api.StateConnected, User: "kim01", Address: "10.77.0.9/32"}, nil
	case <-ctx.Done():
		return api.Status{}, ctx.Err()
	}
}

func (d *mobileDaemon) MobileCancel(_ context.Context, id string) (api.Status, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cancels = append(d.cancels, id)
	return api.Status{State: api.StateDisconnected}, nil
}

func (d *mobileDaemon) counts() (int, int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.begins), len(d.cancels)
}

func openMobile(t *testing.T, d Daemon, o Options) (*loginWindow, *mobileWindow) {
	t.Helper()
	a := test.NewTempApp(t)
	o.Daemon = d
	if o.Sources == nil {
		o.Sources = func() []certstore.Source { return nil }
	}
	o.OpenURL = func(*url.URL) error { return nil }
	x := newTestWindows(t, a, o)
	w := showLogin(t, x)
	t.Cleanup(func() { w.Close() })
	lw := x.login
	b := findButton(lw.form, T("login.mobile_button"))
	if b == nil {
		t.Fatal("no 모바일 공무원증 button in the login window")
	}
	test.Tap(b)
	m := lw.mobile
	if m == nil || !lw.loginBtn.Disabled() {
		t.Fatal("the QR window did not open, or the form stays enabled")
	}
	eventually(t, 5*time.Second, "the QR", func() bool { return m.qrBox.Visible() })
	return lw, m
}

// TestMobileWindowOutcomes: the QR window shows the QR, the PC's code,
// the countdown and 휴대폰에서 승인하세요; a decline, an expiry and a
// cancel each end with their number; 새 QR 코드 starts again; an approval
// ends in the login window's connected view.
func TestMobileWindowOutcomes(t *testing.T) {
	d := &mobileDaemon{ttl: 3 * time.Minute, outcome: make(chan error, 1)}
	var connected []api.Status
	lw, m := openMobile(t, d, Options{OnConnected: func(st api.Status) { connected = append(connected, st) }})
	if m.code.Text != "4 8 2 1" || !strings.Contains(m.approve.Text, "휴대폰에서 승인하세요") ||
		!regexp.MustCompile(`^남은 시간 [23]:\d\d$`).MatchString(m.countdown.Text) || m.w.Title() != "모바일 공무원증 로그인" {
		t.Fatalf("QR window: code %q, %q, %q, title %q", m.code.Text, m.approve.Text, m.countdown.Text, m.w.Title())
	}
	if m.qr.Image.Bounds().Dx() < 100 {
		t.Fatal("no QR image")
	}

	// Declined on the phone: E-131, and a new QR on request.
	d.outcome <- &api.Error{Code: api.CodeMobileDeclined, Message: "declined"}
	eventually(t, 5*time.Second, "the decline", func() bool { return strings.HasPrefix(m.problem.Text(), "E-131 ") })
	if m.qrBox.Visible() || !m.retryBtn.Visible() {
		t.Fatal("after a decline the QR must go and 새 QR 코드 show")
	}
	test.Tap(m.retryBtn)
	eventually(t, 5*time.Second, "a new QR", func() bool { return m.qrBox.Visible() && m.problem.Text() == "" })
	if n, _ := d.counts(); n != 2 {
		t.Fatalf("%d begins", n)
	}

	// Approved: the login window shows the connection.
	d.outcome <- nil
	eventually(t, 5*time.Second, "the connection", func() bool { return lw.mobile == nil && lw.statusPanel.Visible() })
	if len(connected) != 1 || lw.loginBtn.Disabled() {
		t.Fatalf("connected %v, login button disabled %v", connected, lw.loginBtn.Disabled())
	}
}

func TestMobileWindowExpiredAndCancelled(t *testing.T) {
	d := &mobileDaemon{ttl: 1500 * time.Millisecond, outcome: make(chan error, 1)}
	lw, m := openMobile(t, d, Options{})
	eventually(t, 5*time.Second, "the expiry", func() bool { return strings.HasPrefix(m.problem.Text(), "E-130 ") })
	// The window tells svpnd on a goroutine of its own.
	eventually(t, 5*time.Second, "the expired QR login cancelled in svpnd", func() bool { _, c := d.counts(); return c == 1 })
	if m.qrBox.Visible() || m.codeBox.Visible() {
		t.Fatal("an expired QR stays on screen")
	}

	d.ttl = 3 * time.Minute
	test.Tap(m.retryBtn)
	eventually(t, 5*time.Second, "a new QR", func() bool { return m.qrBox.Visible() })
	test.Tap(m.cancelBtn)
	if lw.mobile != nil || lw.loginBtn.Disabled() {
		t.Fatal("취소 must close the QR window and give the form back")
	}
	if !strings.HasPrefix(lw.problem.Text(), "E-132 ") {
		t.Fatalf("after 취소: %q", lw.problem.Text())
	}
	eventually(t, 5*time.Second, "the cancel in svpnd", func() bool { _, c := d.counts(); return c == 2 })
}

// TestMobileButtonOnlyWithSupport: a daemon without the QR login (an older
// svpnd's client) gets no button.
func TestMobileButtonOnlyWithSupport(t *testing.T) {
	a := test.NewTempApp(t)
	x := newTestWindows(t, a, Options{Daemon: &scriptedDaemon{}, Sources: func() []certstore.Source { return nil },
		OpenURL: func(*url.URL) error { return nil }})
	w := showLogin(t, x)
	defer w.Close()
	if findButton(x.login.form, T("login.mobile_button")) != nil {
		t.Fatal("a button for a daemon without the QR login")
	}
}

// TestMobileLoginThroughApp: the desktop app against the demo gateway and
// svpnd: 모바일 공무원증, the QR as drawn in the window read by zbarimg,
// the demo wallet approving with the code the window shows, the connected
// view, and the portal through the tunnel.
func TestMobileLoginThroughApp(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a gateway and svpnd")
	}
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		t.Fatal("zbarimg is not installed (make deps installs zbar-tools)")
	}
	e := startDemo(t)
	lw, m := openMobile(t, e.client, Options{Socket: e.sock, Version: "test"})

	// The QR exactly as the window draws it, once the window has its
	// final size (fitHeight resizes it after the QR shows).
	shot := filepath.Join(t.TempDir(), "qr-window.png")
	var out []byte
	eventually(t, 10*time.Second, "zbarimg to read the window's QR", func() bool {
		f, err := os.Create(shot)
		if err != nil {
			t.Fatal(err)
		}
		png.Encode(f, m.w.Canvas().Capture())
		f.Close()
		out, err = exec.Command(zbar, "--raw", "--quiet", "-Sdisable", "-Sqrcode.enable", shot).Output()
		return err == nil
	})
	if dir := os.Getenv("SVPN_UI_SCREENSHOT_DIR"); dir != "" {
		b, _ := os.ReadFile(shot)
		os.WriteFile(filepath.Join(dir, "mobileid-test-driver.png"), b, 0o644)
	}
	qr, err := mobileid.ParseRequest(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatal(err)
	}

	// The phone: the holder compares its code with the window's, then the PIN.
	wl, err := wallet.Open(e.demo.WalletPath)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := os.ReadFile(wl.CAFile)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	ph := phone.New(pool)
	req, err := ph.Fetch(context.Background(), qr)
	if err != nil {
		t.Fatal(err)
	}
	if spaced(req.Profile.ShortCode) != m.code.Text {
		t.Fatalf("the phone shows %q, the window %q", req.Profile.ShortCode, m.code.Text)
	}
	key, err := wl.Unlock(e.demo.WalletPIN)
	if err != nil {
		t.Fatal(err)
	}
	if err := ph.Approve(context.Background(), req, key, wl.Credential); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the connected view", func() bool {
		return lw.mobile == nil && lw.statusPanel.Visible() && lw.status.State == api.StateConnected
	})
	jar, _ := cookiejar.New(nil) // the portal forward trades its token for a cookie
	resp, err := (&http.Client{Jar: jar, Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil}}).Get(PortalURL(lw.status))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "행정포탈") {
		t.Fatalf("portal: %q", page)
	}
}
