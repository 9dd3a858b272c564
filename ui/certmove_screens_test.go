package ui

import (
	"context"
	"image/png"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/opensvpn/svpn/certmove"
)

// TestCertMoveScreenshots renders the 인증서 이동 window (Fyne's software
// painter, the app's theme and Hangul font) in its main states into
// $SVPN_SCREENSHOTS: the code with its countdown, the sent state offering
// 이 PC에서 인증서 삭제, 받기 filled in, and a wrong code.
func TestCertMoveScreenshots(t *testing.T) {
	out := os.Getenv("SVPN_SCREENSHOTS")
	if out == "" {
		t.Skip("set SVPN_SCREENSHOTS to the output directory")
	}
	e := startDemo(t)
	demoLogin(t, e)
	a := test.NewTempApp(t)
	a.Settings().SetTheme(Theme{})
	x := newTestWindows(t, a, Options{Daemon: e.client, Sources: e.sources, OpenURL: func(*url.URL) error { return nil }})
	m := newCertMoveWindow(x, context.Background(), e.demo.UserID)
	t.Cleanup(func() { m.w.Close() })
	shot := func(name string) {
		t.Helper()
		m.w.Resize(fyne.NewSize(certMoveWidth, m.w.Content().MinSize().Height+8))
		f, err := os.Create(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := png.Encode(f, m.w.Canvas().Capture()); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 5*time.Second, "the certificates", func() bool { return len(m.certs.Options) == 2 })
	for label, r := range m.certRows {
		if r.Path == e.demo.CertPath {
			m.certs.SetSelected(label)
		}
	}
	shot("certmove-1-send.png")
	test.Tap(m.sendBtn)
	eventually(t, 10*time.Second, "the code", func() bool { return m.codeText.Visible() })
	shot("certmove-2-code.png")
	c, _ := certmove.ParseCode(m.codeText.Text)
	if _, err := certmove.Receive(context.Background(), e.client, certmove.ReceiveOptions{UserID: e.demo.UserID, Code: c,
		Save: func(b *certmove.Bundle) (string, error) { return b.Install(certmove.Removable(t.TempDir())) }}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "sent", func() bool { return m.deleteBtn.Visible() })
	shot("certmove-3-sent.png")

	m.tabs.SelectIndex(1)
	code, done := sendFromTest(t, e.client, e.demo.CertPath)
	test.Type(m.code, wrongOf(t, code))
	m.location.SetSelected("이동식디스크")
	shot("certmove-4-receive.png")
	test.Tap(m.recvBtn)
	eventually(t, 30*time.Second, "the mismatch", func() bool { return m.recvProb.Text() != "" })
	<-done
	shot("certmove-5-wrong-code.png")
}
