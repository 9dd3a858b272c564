package ui

import (
	"errors"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/certstore/token"
	"github.com/opensvpn/svpn/internal/p11fake"
)

// TestTokenTabBrokenDrivers: token drivers (real shared objects) that
// crash and hang in C_Initialize are reported on the 보안토큰 tab with
// their numbers, E-242 and E-243, and the app lives on: the picker keeps
// answering, and closing it works.
func TestTokenTabBrokenDrivers(t *testing.T) {
	if !token.Supported() {
		t.Skip("built without cgo: no PKCS#11")
	}
	dir := t.TempDir()
	crash, err := p11fake.Build(dir, p11fake.Crash)
	if errors.Is(err, p11fake.ErrNoCompiler) {
		t.Skipf("the broken-driver tests need a C compiler: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	hang, err := p11fake.Build(dir, p11fake.Hang)
	if err != nil {
		t.Fatal(err)
	}
	// No SoftHSM token in the registry's module either.
	t.Setenv("SOFTHSM2_CONF", filepath.Join(dir, "none.conf"))
	a := test.NewTempApp(t)
	a.Settings().SetTheme(Theme{})
	x := newTestWindows(t, a, Options{Daemon: &scriptedDaemon{}, Sources: func() []certstore.Source { return nil },
		OpenURL: func(*url.URL) error { return nil }, PKCS11Modules: []string{crash, hang}})
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
	test.Tap(p.tokenBtn)
	// The hang is bounded by token.DefaultTimeout.
	eventually(t, token.DefaultTimeout+20*time.Second, "the drivers' errors", func() bool { return p.tok.listed })
	codes := map[api.Code]bool{}
	for _, err := range p.tok.errs {
		codes[api.CodeOf(err)] = true
	}
	if !codes[api.CodeTokenModuleFailed] || !codes[api.CodeTokenModuleTimeout] {
		t.Errorf("errors: %v", p.tok.errs)
	}
	if txt := p.empty.Text; !p.empty.Visible() || !(strings.HasPrefix(txt, "E-242 ") || strings.HasPrefix(txt, "E-243 ")) {
		t.Errorf("the empty token tab says %q", txt)
	}
	// Still answering: the other tabs and the PIN field work.
	test.Tap(p.locButtons[certstore.LocationDisk])
	if p.loc != certstore.LocationDisk || p.pwForm.Items[0].Text != T("picker.password") {
		t.Errorf("after the broken drivers: location %s, label %q", p.loc, p.pwForm.Items[0].Text)
	}
	test.Tap(p.cancelBtn)
	eventually(t, 5*time.Second, "the picker closed", func() bool { return lw.picker == nil })
}
