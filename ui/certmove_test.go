package ui

import (
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certmove"
	"github.com/opensvpn/svpn/certstore"
)

// TestCertMoveButtonWithFakeDaemon: the login window offers 인증서 이동;
// it opens one window (a second tap focuses it), and a daemon connection
// that cannot relay says so in numbers instead of failing silently.
func TestCertMoveButtonWithFakeDaemon(t *testing.T) {
	a := test.NewTempApp(t)
	drive := t.TempDir()
	copyRealFixture(t, drive)
	x := newTestWindows(t, a, Options{Daemon: &scriptedDaemon{}, Sources: func() []certstore.Source {
		return certstore.SourcesForDrive(drive, certstore.LocationRemovable)
	}, OpenURL: func(*url.URL) error { return nil }})
	w := showLogin(t, x)
	var once sync.Once
	closeLogin := func() { once.Do(w.Close) }
	t.Cleanup(closeLogin)
	b := findButton(w.Content(), "인증서 이동")
	if b == nil {
		t.Fatal("no 인증서 이동 button in the login window")
	}
	before := len(a.Driver().AllWindows())
	test.Tap(b)
	test.Tap(b)
	if n := len(a.Driver().AllWindows()); n != before+1 {
		t.Fatalf("%d windows after two taps, want %d", n, before+1)
	}
	// Closing the login window closes it too.
	closeLogin()
	eventually(t, 5*time.Second, "the 인증서 이동 window to close", func() bool {
		for _, o := range a.Driver().AllWindows() {
			if o.Title() == "인증서 이동" {
				return false
			}
		}
		return true
	})

	m := newCertMoveWindow(x, context.Background(), "kim01")
	t.Cleanup(func() { m.w.Close() })
	eventually(t, 5*time.Second, "the certificate list", func() bool { return len(m.certs.Options) == 1 })
	if m.certs.Selected == "" || m.sendBtn.Disabled() {
		t.Fatal("the only certificate is not preselected")
	}
	test.Tap(m.sendBtn)
	if !strings.HasPrefix(m.sendProb.Text(), "E-601 ") {
		t.Fatalf("send without a relay: %q", m.sendProb.Text())
	}
	if m.user.Text != "kim01" {
		t.Errorf("user ID not carried over: %q", m.user.Text)
	}
	test.Type(m.code, "1234-5678-9012")
	test.Tap(m.recvBtn)
	if !strings.HasPrefix(m.recvProb.Text(), "E-262 ") {
		t.Fatalf("a mistyped code: %q", m.recvProb.Text())
	}
}

// demoLogin logs the demo user in through svpnd, as the login window
// would, so that this PC can send.
func demoLogin(t *testing.T, e *demoEnv) {
	t.Helper()
	ctx := context.Background()
	cert, err := certstore.Load(e.demo.CertPath)
	if err != nil {
		t.Fatal(err)
	}
	id, err := cert.Unlock([]byte(e.demo.CertPassword))
	if err != nil {
		t.Fatal(err)
	}
	begin, err := e.client.LoginBegin(ctx, e.demo.UserID)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := begin.Binding.Message()
	sig, alg, err := id.Sign(rand.Reader, msg, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.LoginFinish(ctx, &api.LoginFinishRequest{LoginID: begin.LoginID, Password: e.demo.InitialPassword,
		NewPassword: "Ui-move-pass9!", Certificate: cert.X509.Raw, Signature: sig, SignatureAlgorithm: alg}); err != nil {
		t.Fatal(err)
	}
}

// sendFromTest runs the other PC's sender and returns its code and result.
func sendFromTest(t *testing.T, relay certmove.Relay, path string) (string, <-chan error) {
	t.Helper()
	b, _, err := certmove.ReadBundle(path)
	if err != nil {
		t.Fatal(err)
	}
	codes, done := make(chan string, 1), make(chan error, 1)
	go func() {
		done <- certmove.Send(context.Background(), relay, certmove.SendOptions{Bundle: b,
			OnCode: func(c certmove.Code, _ time.Time) { codes <- c.String() }})
	}()
	select {
	case c := <-codes:
		return c, done
	case err := <-done:
		t.Fatalf("sender: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no code")
	}
	return "", nil
}

// wrongOf is another well-formed code of the same slot.
func wrongOf(t *testing.T, code string) string {
	d := strings.ReplaceAll(code, "-", "")
	for i := range 100 {
		for chk := '0'; chk <= '9'; chk++ {
			s := d[:3] + "55" + string(rune('0'+i/10)) + string(rune('0'+i%10)) + "1234" + string(chk)
			if c, err := certmove.ParseCode(s); err == nil && c.String() != code {
				return c.String()
			}
		}
	}
	t.Fatal("no wrong code")
	return ""
}

// TestCertMoveWindow drives 인증서 이동 against the demo gateway and svpnd:
// 받기 onto a removable drive (the certificate then appears where the
// picker looks), a wrong code on both sides, 보내기 with the code and its
// countdown and 이 PC에서 인증서 삭제 afterwards, and 보내기 to a PC that
// typed a wrong code.
func TestCertMoveWindow(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a gateway and svpnd")
	}
	e := startDemo(t)
	demoLogin(t, e)
	drive3 := filepath.Join(e.dir, "usb3")
	os.MkdirAll(drive3, 0o700)
	sources := func() []certstore.Source {
		return append(e.sources(), certstore.SourcesForDrive(drive3, certstore.LocationRemovable)...)
	}
	a := test.NewTempApp(t)
	x := newTestWindows(t, a, Options{Daemon: e.client, Sources: sources, OpenURL: func(*url.URL) error { return nil }})
	m := newCertMoveWindow(x, context.Background(), e.demo.UserID)
	t.Cleanup(func() { m.w.Close() })
	m.w.Show()

	// 받기 onto usb3.
	code, done := sendFromTest(t, e.client, e.demo.CertPath)
	m.tabs.SelectIndex(1)
	test.Type(m.code, code)
	m.location.SetSelected("이동식디스크")
	if !m.drive.Visible() || len(m.drive.Options) != 3 {
		t.Fatalf("drives offered: %v", m.drive.Options)
	}
	m.drive.SetSelected(drive3)
	test.Tap(m.recvBtn)
	eventually(t, 30*time.Second, "the received certificate", func() bool { return m.recvDone.Visible() || m.recvProb.Text() != "" })
	if m.recvProb.Text() != "" {
		t.Fatalf("receive: %s", m.recvProb.Text())
	}
	if err := <-done; err != nil {
		t.Fatalf("the other PC's send: %v", err)
	}
	if !strings.Contains(m.recvDone.Text, "인증서 선택 창") || !strings.HasPrefix(m.receivedAt, drive3) {
		t.Fatalf("done: %q at %q", m.recvDone.Text, m.receivedAt)
	}
	rows, _ := scanCertificates(context.Background(), sources(), time.Now())
	found := false
	for _, r := range rows {
		found = found || r.Path == m.receivedAt
	}
	if !found {
		t.Fatal("the received certificate is not where the picker looks")
	}

	// 받기 with a wrong code: both sides say 인증번호가 일치하지 않습니다.
	code, done = sendFromTest(t, e.client, e.demo.CertPath)
	test.Type(m.code, wrongOf(t, code))
	test.Tap(m.recvBtn)
	eventually(t, 30*time.Second, "the mismatch", func() bool { return m.recvProb.Text() != "" })
	if !strings.Contains(m.recvProb.Text(), "인증번호가 일치하지 않습니다") {
		t.Fatalf("receiver: %q", m.recvProb.Text())
	}
	if err := <-done; api.CodeOf(err) != api.CodeCertMoveMismatch {
		t.Fatalf("sender: %v", err)
	}

	// 보내기: the demo certificate (the one registered for the account).
	m.tabs.SelectIndex(0)
	m.scan()
	eventually(t, 5*time.Second, "the list with usb3", func() bool { return len(m.certs.Options) == 3 })
	choose := func(path string) {
		for label, r := range m.certRows {
			if r.Path == path {
				m.certs.SetSelected(label)
				return
			}
		}
		t.Fatalf("%s not offered: %v", path, m.certs.Options)
	}
	choose(e.demo.CertPath)
	test.Tap(m.sendBtn)
	eventually(t, 10*time.Second, "the code", func() bool { return m.codeText.Visible() })
	shown := m.codeText.Text
	if _, err := certmove.ParseCode(shown); err != nil || !m.sendHint.Visible() || m.sendHint.Text != "받는 PC에서 코드를 입력하세요" {
		t.Fatalf("code %q (%v), hint %q", shown, err, m.sendHint.Text)
	}
	if !strings.HasPrefix(m.countdown.Text, "남은 시간 4:") && !strings.HasPrefix(m.countdown.Text, "남은 시간 5:") {
		t.Fatalf("countdown %q", m.countdown.Text)
	}
	other := t.TempDir()
	c, _ := certmove.ParseCode(shown)
	if _, err := certmove.Receive(context.Background(), e.client, certmove.ReceiveOptions{UserID: e.demo.UserID, Code: c,
		Save: func(b *certmove.Bundle) (string, error) { return b.Install(certmove.Removable(other)) }}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the sent state", func() bool { return m.deleteBtn.Visible() || m.sendProb.Text() != "" })
	if m.sendProb.Text() != "" || !strings.Contains(m.sentLabel.Text, "받는 PC에 인증서를 보냈습니다") || m.codeText.Visible() {
		t.Fatalf("sent: %q / %q", m.sentLabel.Text, m.sendProb.Text())
	}
	test.Tap(m.deleteBtn)
	if _, err := os.Stat(e.demo.CertPath); !os.IsNotExist(err) {
		t.Fatalf("이 PC에서 인증서 삭제 left %s", e.demo.CertPath)
	}
	if m.sentLabel.Text != "이 PC에서 인증서를 삭제했습니다." {
		t.Fatalf("after delete: %q", m.sentLabel.Text)
	}

	// 보내기 to a PC that types a wrong code.
	eventually(t, 5*time.Second, "the list without the deleted one", func() bool { return len(m.certs.Options) == 2 })
	choose(m.receivedAt)
	test.Tap(m.sendBtn)
	eventually(t, 10*time.Second, "the code", func() bool { return m.codeText.Visible() })
	c, _ = certmove.ParseCode(wrongOf(t, m.codeText.Text))
	_, err := certmove.Receive(context.Background(), e.client, certmove.ReceiveOptions{UserID: e.demo.UserID, Code: c,
		Save: func(b *certmove.Bundle) (string, error) { return "", nil }})
	if api.CodeOf(err) != api.CodeCertMoveMismatch {
		t.Fatalf("wrong-code receiver: %v", err)
	}
	eventually(t, 30*time.Second, "the sender's mismatch", func() bool { return m.sendProb.Text() != "" })
	if !strings.Contains(m.sendProb.Text(), "인증번호가 일치하지 않습니다") || m.codeText.Visible() {
		t.Fatalf("sender: %q", m.sendProb.Text())
	}
}
