package xvfbtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestNoTrayHost runs the real app under a bare Xvfb with no D-Bus at all
// (no session bus, so no StatusNotifierWatcher and no
// org.freedesktop.Notifications): once connected the app must not vanish
// (issue 17, item 1). A login from elsewhere (svpnctl) brings up the
// connection window in place of the login window; 연결 끊기 from the
// keyboard asks first, 취소 keeps the connection, confirming ends it and
// the login window comes back; the app quits when its last window goes.
// The portal the app opens on connecting finds no browser: the
// connection window shows its address to copy (item 2), Escape closes it.
// SVPN_NOTRAY_PNG=DIR keeps the connection window's screenshots.
func TestNoTrayHost(t *testing.T) {
	need(t, false)
	bin := t.TempDir()
	buildBinaries(t, bin)
	display := startXvfb(t)
	X := x{t: t, display: display}
	d := startDemo(t, bin)
	app := d.appNoTray(t, display)
	X.window("^원격근무서비스$")

	// A login from elsewhere: the first-login change included.
	login := exec.Command(filepath.Join(d.bin, "svpnctl"), "--socket", d.sock, "login", "--user", d.UserID,
		"--cert", d.CertPath, "--password-stdin")
	login.Stdin = strings.NewReader(d.Password + "\n" + d.CertPassword + "\nRemote9-work!\n")
	if out, err := login.CombinedOutput(); err != nil {
		t.Fatalf("svpnctl login: %v\n%s", err, out)
	}
	conn := X.window("^원격근무서비스 연결 상태$")
	X.gone("^원격근무서비스$") // the connection window took over
	dir := os.Getenv("SVPN_NOTRAY_PNG")
	if dir == "" {
		dir = t.TempDir()
	}
	withDialog := filepath.Join(dir, "connected-no-browser.png")
	X.shot(conn, withDialog) // the portal's address to copy
	plain := filepath.Join(dir, "connected.png")
	X.save(X.after(conn, X.key(conn, "Escape")), plain)
	for _, png := range []string{withDialog, plain} {
		if err := notBlank(png); err != nil {
			t.Fatalf("the connection window (%s): %v", png, err)
		}
	}
	if len(children(app.Pid())) != 1 {
		t.Errorf("window processes: %v", children(app.Pid()))
	}

	// 연결 끊기 from the keyboard: the focus is on 행정포탈 열기 (back there
	// after the dialog); Tab to 연결 끊기, Enter; the question's focus is on
	// 취소.
	X.after(conn, X.key(conn, "Tab", "Return"))
	X.after(conn, X.key(conn, "Return"))
	time.Sleep(time.Second) // a logout would have reached svpnd by now
	if s := d.state(t); s != "connected" {
		t.Fatalf("취소 disconnected: %s", s)
	}
	X.after(conn, X.key(conn, "Return")) // the question again: the focus went back to 연결 끊기
	X.typeIn(conn, "", "Tab", "Return")  // 연결 끊기 in it
	eventually(t, 20*time.Second, "the logout", func() bool { return d.state(t) == "disconnected" })
	X.gone("^원격근무서비스 연결 상태$")
	X.window("^원격근무서비스$") // back to the login window

	// The last window gone (its process ended), the app quits.
	kids := children(app.Pid())
	if len(kids) != 1 {
		t.Fatalf("window processes: %v", kids)
	}
	syscall.Kill(kids[0], syscall.SIGTERM)
	eventually(t, 20*time.Second, "svpn to quit with its last window", app.Exited)
	out := app.Output()
	if strings.Contains(out, "systray error") {
		t.Errorf("svpn ran systray without a tray host:\n%s", out)
	}
	for _, n := range noise { // three window processes came and went
		if strings.Contains(out, n) {
			t.Errorf("svpn printed %q", n)
		}
	}
}

// appNoTray starts svpn with no D-Bus at all (so no tray host) and no
// browser (xdg-open fails, as on a bare desktop), in a fresh home.
func (d *demo) appNoTray(t *testing.T, display string, extra ...string) *proc {
	return d.app(t, display, t.TempDir(), []string{d.DriveRoot},
		[]string{"DBUS_SESSION_BUS_ADDRESS=", "FYNE_THEME=light", "BROWSER=false"}, extra...)
}

// TestNoTrayHostSingleProcess: --single-process under a bare Xvfb with no
// D-Bus. Connected, the connection window takes the login window's place
// (it used to hide the login window and show nothing: an app running with
// no window and no tray icon); logged out, the login window comes back
// and the connection window goes.
func TestNoTrayHostSingleProcess(t *testing.T) {
	need(t, false)
	bin := t.TempDir()
	buildBinaries(t, bin)
	display := startXvfb(t)
	X := x{t: t, display: display}
	d := startDemo(t, bin)
	app := d.appNoTray(t, display, "--single-process")
	X.window("^원격근무서비스$")

	login := exec.Command(filepath.Join(d.bin, "svpnctl"), "--socket", d.sock, "login", "--user", d.UserID,
		"--cert", d.CertPath, "--password-stdin")
	login.Stdin = strings.NewReader(d.Password + "\n" + d.CertPassword + "\nRemote9-work!\n")
	if out, err := login.CombinedOutput(); err != nil {
		t.Fatalf("svpnctl login: %v\n%s", err, out)
	}
	X.window("^원격근무서비스 연결 상태$")
	X.gone("^원격근무서비스$")

	d.logout(t)
	X.window("^원격근무서비스$")
	X.gone("^원격근무서비스 연결 상태$")
	if app.Exited() {
		t.Fatalf("svpn quit while swapping its windows:\n%s", app.Output())
	}
}
