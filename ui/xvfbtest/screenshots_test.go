package xvfbtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opensvpn/svpn/internal/testfixtures"
)

// fakeUSB puts the real yessign test certificate on a simulated USB drive.
func fakeUSB(t testing.TB, root string) { testfixtures.CopyRealNPKI(t, root) }

// app starts svpn on display with a fresh home and the given extra
// environment.
func (d *demo) app(t testing.TB, display, home string, drives []string, env []string, extra ...string) *proc {
	args := []string{"--socket", d.sock}
	for _, dr := range drives {
		args = append(args, "--drive", dr)
	}
	args = append(args, extra...)
	stillFrames(t, home)
	base := []string{"DISPLAY=" + display, "HOME=" + home, "XDG_RUNTIME_DIR=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"DBUS_SESSION_BUS_ADDRESS=disabled:", "LANG=ko_KR.UTF-8", "LC_ALL=", "LANGUAGE="}
	return start(t, append(base, env...), filepath.Join(d.bin, "svpn"), args...)
}

// startScreenshots is what a screenshot test starts from: the output
// directory ($SVPN_SCREENSHOTS; skipped without it), an X server and the
// demo gateway with svpnd.
func startScreenshots(t *testing.T) (out string, X x, d *demo) {
	out = os.Getenv("SVPN_SCREENSHOTS")
	if out == "" {
		t.Skip("set SVPN_SCREENSHOTS to the output directory (make screenshots)")
	}
	need(t, true)
	out, _ = filepath.Abs(out)
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	buildBinaries(t, bin)
	X = x{t: t, display: startXvfb(t)}
	return out, X, startDemo(t, bin)
}

// TestScreenshots drives the real app under Xvfb through the login, the
// picker, an error, the first-login password change, the connection and
// the diagnostics, and saves each window as a PNG in $SVPN_SCREENSHOTS.
func TestScreenshots(t *testing.T) {
	out, X, d := startScreenshots(t)
	display := X.display
	usb2 := filepath.Join(t.TempDir(), "usb2")
	fakeUSB(t, usb2)
	drives := []string{d.DriveRoot, usb2}
	home := t.TempDir()
	png := func(name string) string { return filepath.Join(out, name) }
	light := []string{"FYNE_THEME=light", "BROWSER=true"} // a browser that opens nothing

	// Each screenshot waits for its window to settle (X.shot), and for the
	// result of a key or click to show (X.after): no fixed delays.
	app := d.app(t, display, home, drives, light)
	login := X.window("^원격근무서비스$")
	X.shot(login, png("01-login.png")) // the profile and banner loaded

	// A wrong account password: E-101, attempts left.
	X.typeIn(login, d.UserID, "Tab")
	X.typeIn(login, "wrong-Password1!", "Return")
	picker := X.window("인증서 선택")
	X.shot(picker, png("02-picker.png")) // the scan done
	X.typeIn(picker, "WrongCertPw")
	X.save(X.after(picker, X.key(picker, "Return")), png("03-picker-wrong-certificate-password.png"))
	X.typeIn(picker, d.CertPassword, "Return")
	X.gone("인증서 선택")
	eventually(t, 30*time.Second, "the gateway's refusal (bad_credentials)", func() bool { return d.status(t).LastErrorCode == "bad_credentials" })
	X.shot(login, png("04-login-error.png"))

	// The right one: the first-login password change.
	X.typeIn(login, d.Password, "Return")
	picker = X.window("인증서 선택")
	X.settled(picker, nil)
	X.save(X.after(picker, func() { X.click(picker, 70, 26, true) }), png("05-certificate-details.png")) // 인증서 보기
	X.after(picker, X.key(picker, "Escape"))
	X.typeIn(picker, d.CertPassword, "Return")
	pw := X.window("비밀번호 변경")
	X.typeIn(pw, "Remote9")
	X.shot(pw, png("06-password-change-typing.png"))
	X.typeIn(pw, "-work!", "Tab")
	X.typeIn(pw, "Remote9-work!")
	X.shot(pw, png("07-password-change-complete.png"))
	X.typeIn(pw, "", "Return")
	eventually(t, 30*time.Second, "the connection", func() bool { return d.state(t) == "connected" })
	X.gone("^원격근무서비스$")

	// No tray host here (no D-Bus): the connection window stays instead,
	// and a second double-click brings it back.
	conn := X.window("^원격근무서비스 연결 상태$")
	X.shot(conn, png("08-connected.png"))
	second := d.app(t, display, home, drives, light)
	eventually(t, 10*time.Second, "the second instance to hand over", second.Exited)
	X.window("^원격근무서비스 연결 상태$")
	X.save(X.after(conn, X.key(conn, "Tab", "Return")), png("14-disconnect-question.png")) // 연결 끊기, asked
	X.after(conn, X.key(conn, "Escape"))

	// The diagnostics, from another start (as the tray menu would).
	d.app(t, display, home, drives, light, "--open", "diagnostics")
	dw := X.window("진단 정보")
	X.shot(dw, png("09-diagnostics.png"))
	X.run("xdotool", "mousemove", "--window", dw, "360", "300")
	X.after(dw, func() {
		for range 30 {
			X.run("xdotool", "click", "5") // scroll to the end: errors and this PC
		}
	})
	X.shot(dw, png("10-diagnostics-end.png"))
	app.Stop()

	// 150 % and the dark theme; then English.
	d.logout(t)
	X.gone("^원격근무서비스 연결 상태$")
	app = d.app(t, display, home, drives, []string{"FYNE_THEME=dark", "FYNE_SCALE=1.5"})
	login = X.window("^원격근무서비스$")
	X.shot(login, png("11-login-150-dark.png"))
	X.typeIn(login, "x", "Return")
	picker = X.window("인증서 선택")
	X.shot(picker, png("12-picker-150-dark.png"))
	X.typeIn(picker, "", "Escape")
	app.Stop()

	app = d.app(t, display, home, drives, []string{"FYNE_THEME=light", "LANG=en_US.UTF-8"})
	login = X.window("원격근무서비스")
	X.shot(login, png("13-login-english.png"))
	app.Stop()
	if t.Failed() {
		t.Logf("app output:\n%s", app.Output())
	}
	entries, _ := os.ReadDir(out)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	t.Logf("screenshots in %s: %s", out, strings.Join(names, " "))
}
