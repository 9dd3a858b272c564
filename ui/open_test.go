package ui

import (
	"errors"
	"net/url"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/opensvpn/svpn/api"
)

// TestOpenWithoutBrowser: when no browser can be started, a link tapped in
// the login window says so in the window and offers the address to copy,
// instead of failing silently (issue 17, item 2).
func TestOpenWithoutBrowser(t *testing.T) {
	a := test.NewTempApp(t)
	d := &scriptedDaemon{profile: api.ProfileInfo{Profile: api.Profile{Name: "원격근무서비스", GatewayURL: "https://gw.example",
		GatewayID: "gw", ManualURL: "https://www.example.go.kr/svpn/manual"}}}
	var tried []string
	x := newTestWindows(t, a, Options{Daemon: d, OpenURL: func(u *url.URL) error {
		tried = append(tried, u.String())
		return errors.New("xdg-open: no method available for opening 'https://www.example.go.kr/svpn/manual'")
	}})
	w := showLogin(t, x)
	t.Cleanup(func() { w.Close() })
	lw := x.login
	eventually(t, 5*time.Second, "the manual link", func() bool { return lw.manualLink.Visible() })
	lw.manualLink.OnTapped() // what a tap on the link text does
	if len(tried) != 1 || tried[0] != "https://www.example.go.kr/svpn/manual" {
		t.Fatalf("opened %v", tried)
	}
	if x.urlDialog == nil {
		t.Fatal("no dialog when the browser could not be opened")
	}
	var addr *widget.Entry
	var copyBtn *keyButton
	for _, o := range test.LaidOutObjects(w.Canvas().Overlays().Top()) {
		switch v := o.(type) {
		case *widget.Entry:
			addr = v
		case *keyButton:
			if v.Text == T("diag.copy") {
				copyBtn = v
			}
		}
	}
	if addr == nil || addr.Text != "https://www.example.go.kr/svpn/manual" {
		t.Fatalf("the dialog does not show the address to copy (entry %v)", addr)
	}
	test.Type(addr, "x") // read-only
	if addr.Text != "https://www.example.go.kr/svpn/manual" {
		t.Errorf("the address can be edited: %q", addr.Text)
	}
	if copyBtn == nil {
		t.Fatal("no copy button")
	}
	if w.Canvas().Focused() != copyBtn {
		t.Errorf("the focus is on %v, want 복사", w.Canvas().Focused())
	}
	press(w, fyne.KeyReturn) // the keyboard alone: Enter copies
	if got := a.Clipboard().Content(); got != "https://www.example.go.kr/svpn/manual" {
		t.Errorf("clipboard %q", got)
	}
	press(w, fyne.KeyEscape)
	if x.urlDialog != nil {
		t.Error("Escape did not close the dialog")
	}
}
