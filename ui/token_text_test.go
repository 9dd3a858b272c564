package ui

import (
	"net/url"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/opensvpn/svpn/certstore"
)

// TestTokenTabSpeaksOfPIN: on the 보안토큰 tab nothing in the picker asks
// for the certificate password (the instructions, the field's label and
// placeholder, the note under it): it is the token's PIN; back on a disk
// tab it is the certificate password again.
func TestTokenTabSpeaksOfPIN(t *testing.T) {
	a := test.NewTempApp(t)
	a.Settings().SetTheme(Theme{})
	x := newTestWindows(t, a, Options{Daemon: &scriptedDaemon{}, Sources: func() []certstore.Source { return nil },
		OpenURL: func(*url.URL) error { return nil }})
	w := showLogin(t, x)
	t.Cleanup(func() { w.Close() })
	lw := x.login
	test.Type(lw.user, "kim01")
	test.Type(lw.password, "Init-pass1!")
	test.Tap(lw.loginBtn)
	p := lw.picker
	if p == nil {
		t.Fatal("the picker did not open")
	}
	test.Tap(p.locButtons[certstore.LocationDisk])
	texts := func() []string {
		return []string{p.intro.Text, p.pwForm.Items[0].Text, p.password.PlaceHolder, p.caseNote.Text}
	}
	for _, s := range texts() {
		if !strings.Contains(s, "인증서 암호") {
			t.Errorf("hard disk tab: %q does not ask for the certificate password (all: %q)", s, texts())
		}
	}
	test.Tap(p.tokenBtn)
	if p.loc != certstore.LocationToken {
		t.Fatalf("location %s", p.loc)
	}
	for _, s := range texts() {
		if strings.Contains(s, "암호") || strings.Contains(s, "대소문자") {
			t.Errorf("token tab still speaks of the certificate password: %q (all: %q)", s, texts())
		}
	}
	if got := texts(); !strings.Contains(got[0], "PIN") || !strings.Contains(got[1], "PIN") || !strings.Contains(got[2], "PIN") ||
		!strings.Contains(got[3], "PIN") {
		t.Errorf("token tab texts %q", got)
	}
	test.Tap(p.locButtons[certstore.LocationDisk])
	for _, s := range texts() {
		if !strings.Contains(s, "인증서 암호") {
			t.Errorf("back on the hard disk: %q (all: %q)", s, texts())
		}
	}
}
