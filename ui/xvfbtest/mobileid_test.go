package xvfbtest

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opensvpn/svpn/mobileid"
	"github.com/opensvpn/svpn/mobileid/phone"
)

// TestMobileIDApp drives the real desktop app under Xvfb through the
// mobile employee ID login: 모바일 공무원증 from the login window (by
// keyboard), the QR window's screenshot read by zbarimg and approved by
// svpn-wallet with the code the window shows and the demo PIN, the
// connected view; then a login declined on the phone, shown numbered. With
// SVPN_SCREENSHOTS set (make screenshots) it keeps the screenshots there.
func TestMobileIDApp(t *testing.T) {
	need(t, false)
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		t.Fatal("zbarimg is not installed (make deps installs zbar-tools)")
	}
	out := os.Getenv("SVPN_SCREENSHOTS")
	if out == "" {
		out = t.TempDir()
	}
	out, _ = filepath.Abs(out)
	bin := t.TempDir()
	buildBinaries(t, bin)
	cmd := exec.Command("go", "build", "-o", bin+"/", "./cmd/svpn-wallet")
	cmd.Dir, cmd.Env = repoRoot(t), append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building svpn-wallet: %v\n%s", err, b)
	}
	display := startXvfb(t)
	X := x{t: t, display: display}
	d := startDemo(t, bin)
	var dj struct {
		WalletPath string `json:"wallet_path"`
		WalletPIN  string `json:"wallet_pin"`
		CAFile     string `json:"ca_file"`
	}
	b, _ := os.ReadFile(filepath.Join(d.dir, "demo.json"))
	if err := json.Unmarshal(b, &dj); err != nil || dj.WalletPath == "" || dj.WalletPIN != "123456" {
		t.Fatalf("demo.json: %s", b)
	}
	png := func(name string) string { return filepath.Join(out, name) }
	home := t.TempDir()
	app := d.app(t, display, home, []string{d.DriveRoot}, []string{"FYNE_THEME=light"})
	login := X.window("^원격근무서비스$")
	X.shot(login, png("mobileid-0-login.png")) // 모바일 공무원증으로 로그인 under 로그인

	// openQR moves the focus from the field that has it to 모바일 공무원증
	// (ID → password → 로그인 → it) and presses it.
	openQR := func(tabs int) string {
		keys := append(slices.Repeat([]string{"Tab"}, tabs), "space")
		X.typeIn(login, "", keys...)
		return X.window("모바일 공무원증 로그인")
	}
	// scan reads the QR as the window shows it, and asks the gateway for
	// the code the phone would display beside it.
	scan := func(shotPath string) (string, string) {
		X.shot(X.window("모바일 공무원증 로그인"), shotPath)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		b, err := exec.CommandContext(ctx, zbar, "--raw", "--quiet", "-Sdisable", "-Sqrcode.enable", shotPath).Output()
		if err != nil {
			t.Fatalf("zbarimg cannot read the QR window (%s): %v", shotPath, err)
		}
		text := strings.TrimSpace(string(b))
		qr, err := mobileid.ParseRequest(text)
		if err != nil {
			t.Fatal(err)
		}
		ca, _ := os.ReadFile(dj.CAFile)
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(ca)
		req, err := phone.New(pool).Fetch(context.Background(), qr)
		if err != nil {
			t.Fatal(err)
		}
		return text, req.Profile.ShortCode
	}
	wallet := func(stdin string, args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		c := exec.CommandContext(ctx, filepath.Join(bin, "svpn-wallet"), append([]string{"approve", "--wallet", dj.WalletPath}, args...)...)
		c.Stdin = strings.NewReader(stdin)
		c.Env = append(os.Environ(), "SVPN_LANG=ko")
		b, err := c.CombinedOutput()
		return string(b), err
	}

	openQR(3) // a fresh window focuses the ID
	t.Log("the QR window is open")
	shot := png("mobileid-1-qr.png")
	_, code := scan(shot)
	if o, err := wallet(dj.WalletPIN+"\n", "--qr-png", shot, "--code", code); err != nil {
		t.Fatalf("svpn-wallet approve: %v\n%s", err, o)
	}
	t.Log("svpn-wallet approved")
	eventually(t, 30*time.Second, "the connection", func() bool { return d.state(t) == "connected" })
	X.gone("모바일 공무원증 로그인")
	// Connected, as after a certificate login: this bare X display has no
	// tray host, so the connection window takes the login window's place.
	conn := X.window("^원격근무서비스 연결 상태$")
	X.gone("^원격근무서비스$")
	X.shot(conn, png("mobileid-2-connected.png"))
	t.Log("connected")

	// Declined on the phone: the QR window says so, numbered. The ended
	// connection hands the login window back.
	d.logout(t)
	eventually(t, 10*time.Second, "the login form", func() bool { return d.state(t) == "disconnected" })
	login = X.window("^원격근무서비스$")
	X.settled(login, nil)
	qrw := openQR(3) // a fresh login window, no ID remembered (a mobile login types none): the ID has the focus
	text, _ := scan(filepath.Join(t.TempDir(), "qr.png"))
	before := X.settled(qrw, nil)
	if o, err := wallet("", "--qr", text, "--decline"); err != nil {
		t.Fatalf("svpn-wallet --decline: %v\n%s", err, o)
	}
	X.save(X.settled(qrw, before), png("mobileid-3-declined.png"))
	eventually(t, 10*time.Second, "the declined login", func() bool { return d.status(t).LastErrorCode == "mobileid_declined" })
	app.Stop()
}
