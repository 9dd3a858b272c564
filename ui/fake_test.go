package ui

import (
	"context"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/certstore/certgen"
	"github.com/opensvpn/svpn/client/local"
)

// scriptedDaemon is svpnd as the windows see it, with scripted answers to
// LoginFinish.
type scriptedDaemon struct {
	mu      sync.Mutex
	finish  []error // answers in order; nil = connected
	reqs    []api.LoginFinishRequest
	status  api.Status
	profile api.ProfileInfo
}

func (d *scriptedDaemon) Status(context.Context) (api.Status, error) { return d.status, nil }
func (d *scriptedDaemon) Watch(ctx context.Context, f func(api.Status)) error {
	f(api.Status{State: api.StateDisconnected})
	<-ctx.Done()
	return ctx.Err()
}
func (d *scriptedDaemon) LoginBegin(_ context.Context, user string) (*api.LoginBeginResponse, error) {
	return &api.LoginBeginResponse{LoginID: "l1", Binding: api.LoginBinding{GatewayID: "gw-test", UserID: user,
		WGPublicKey: "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=", Challenge: "c1", ChannelBinding: make([]byte, api.ChannelBindingLen)}}, nil
}
func (d *scriptedDaemon) LoginFinish(_ context.Context, r *api.LoginFinishRequest) (api.Status, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.reqs = append(d.reqs, *r)
	var err error
	if len(d.finish) > 0 {
		err, d.finish = d.finish[0], d.finish[1:]
	}
	if err != nil {
		return api.Status{}, err
	}
	return api.Status{State: api.StateConnected, User: "kim01", Address: "10.77.0.9/32"}, nil
}
func (d *scriptedDaemon) Logout(context.Context) (api.Status, error) { return api.Status{}, nil }
func (d *scriptedDaemon) ChangePassword(context.Context, *api.LocalPasswordRequest) error {
	return nil
}
func (d *scriptedDaemon) Profile(context.Context) (*api.ProfileInfo, error) { return &d.profile, nil }
func (d *scriptedDaemon) Diagnostics(context.Context) (*api.Diagnostics, error) {
	return &api.Diagnostics{Status: d.status}, nil
}
func (d *scriptedDaemon) Bundle(context.Context, io.Writer) error { return nil }

// refusal is a gateway refusal as svpnd relays it and client/local returns it.
func refusal(code api.Code, v ...api.Violation) error {
	return &api.Error{Code: code, Err: &local.Refusal{Status: 403, Response: api.ErrorResponse{Code: code, Violations: v}}}
}

// TestPickerFollowsDrives: a drive plugged in while the picker is open
// shows its certificates (and the picker moves to 이동식디스크 since the
// disk has none); pulled out, they go.
func TestPickerFollowsDrives(t *testing.T) {
	a := test.NewTempApp(t)
	root := filepath.Join(t.TempDir(), "usb")
	d := &scriptedDaemon{}
	x := newTestWindows(t, a, Options{Daemon: d, Sources: func() []certstore.Source {
		return certstore.SourcesForDrive(root, certstore.LocationRemovable)
	}, OpenURL: func(*url.URL) error { return nil }})
	w := showLogin(t, x)
	t.Cleanup(func() { w.Close() })
	lw := x.login
	test.Type(lw.user, "kim01")
	test.Type(lw.password, "pw")
	test.Tap(lw.loginBtn)
	p := lw.picker
	// setRows runs on the scanning goroutine under Fyne's test driver:
	// wait for the end of its update (the table hidden), not its start.
	eventually(t, 5*time.Second, "the first scan shown: the empty state without the table", func() bool {
		return p.scanned && p.empty.Visible() && !p.table.Visible()
	})
	if len(p.shown) != 0 || p.loc != certstore.LocationDisk || !p.empty.Visible() || !strings.Contains(p.empty.Text, "USB") {
		t.Fatalf("empty picker: %d rows at %s, %q", len(p.shown), p.loc, p.empty.Text)
	}
	// The empty state alone, readable: no table with its column lines
	// through the sentence, not the faint disabled colour (issue 17, item 7).
	if p.table.Visible() || p.empty.Importance == widget.LowImportance {
		t.Errorf("empty state: table visible %v, importance %v", p.table.Visible(), p.empty.Importance)
	}
	copyRealFixture(t, root) // plugged in
	// The rows, the location and the empty label change in one update on
	// Fyne's goroutine; wait for all of them rather than the first.
	eventually(t, 5*time.Second, "the drive's certificate on 이동식디스크", func() bool {
		return len(p.shown) == 1 && p.loc == certstore.LocationRemovable && !p.empty.Visible() && p.table.Visible()
	})
	os.RemoveAll(root) // pulled out
	eventually(t, 5*time.Second, "the certificate to go", func() bool { return len(p.shown) == 0 })
	test.Tap(p.cancelBtn)
	if lw.picker != nil || lw.loginBtn.Disabled() {
		t.Error("취소 must close the picker and give the form back")
	}
}

// TestPasswordChangeGatewayVerdict: a new password the checklist accepts
// but the gateway refuses (it remembers older passwords) is marked on the
// rule the gateway names, and the next attempt goes through.
func TestPasswordChangeGatewayVerdict(t *testing.T) {
	a := test.NewTempApp(t)
	root := filepath.Join(t.TempDir(), "usb")
	pki, err := certgen.NewPKI()
	if err != nil {
		t.Fatal(err)
	}
	u, err := pki.Yessign.IssueUser(certgen.UserOptions{Name: "김철수"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.WriteNPKI(filepath.Join(root, "NPKI"), "cert-pw1!", certstore.SchemeSEEDLegacy); err != nil {
		t.Fatal(err)
	}
	d := &scriptedDaemon{finish: []error{
		refusal(api.CodePasswordChangeRequired),
		refusal(api.CodePasswordPolicy, api.Violation{Rule: "same_as_old", Message: "used before"}, api.Violation{Rule: "dictionary_word", Message: "a dictionary word"}),
		nil,
	}}
	var connected []api.Status
	x := newTestWindows(t, a, Options{Daemon: d, Sources: func() []certstore.Source {
		return certstore.SourcesForDrive(root, certstore.LocationRemovable)
	}, OpenURL: func(*url.URL) error { return nil }, OnConnected: func(st api.Status) { connected = append(connected, st) }})
	w := showLogin(t, x)
	t.Cleanup(func() { w.Close() })
	lw := x.login
	test.Type(lw.user, "kim01")
	test.Type(lw.password, "Init-pass1!")
	test.Tap(lw.loginBtn)
	p := lw.picker
	eventually(t, 5*time.Second, "the certificate", func() bool { return len(p.shown) == 1 })
	test.Type(p.password, "cert-pw1!")
	p.password.OnSubmitted(p.password.Text)
	eventually(t, 10*time.Second, "the password change", func() bool { return lw.pwChange != nil })
	pw := lw.pwChange
	if pw.old.Text != "Init-pass1!" {
		t.Errorf("the current password is carried over: %q", pw.old.Text)
	}
	test.Type(pw.newPW, "Older-pass2!")
	test.Type(pw.confirm, "Older-pass2!")
	test.Tap(pw.okBtn)
	eventually(t, 10*time.Second, "the gateway's verdict", func() bool { return strings.HasPrefix(pw.problem.Text(), "E-104 ") })
	var sameAsOld ChecklistItem
	for _, it := range pw.checklistState() {
		if it.Rule == "same_as_old" {
			sameAsOld = it
		}
	}
	if sameAsOld.State != RuleBroken || !sameAsOld.Gateway || !strings.Contains(pw.items[5].label.Text, "(서버 판정)") {
		t.Errorf("same_as_old after the refusal: %+v, %q", sameAsOld, pw.items[5].label.Text)
	}
	if !pw.extra.Visible() || !strings.Contains(pw.extra.Text, "a dictionary word") {
		t.Errorf("a rule the app does not know is shown with the gateway's words: %q", pw.extra.Text)
	}
	if !pw.okBtn.Disabled() {
		t.Error("변경 stays enabled for a refused password")
	}
	// Typing clears the verdict; the new password goes through.
	pw.newPW.SetText("")
	pw.confirm.SetText("")
	test.Type(pw.newPW, "Brand-new3!")
	test.Type(pw.confirm, "Brand-new3!")
	test.Tap(pw.okBtn)
	eventually(t, 10*time.Second, "the connection", func() bool { return len(connected) == 1 })
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.reqs) != 3 || d.reqs[0].NewPassword != "" || d.reqs[1].NewPassword != "Older-pass2!" || d.reqs[2].NewPassword != "Brand-new3!" ||
		d.reqs[2].Password != "Init-pass1!" || len(d.reqs[2].Signature) == 0 || len(d.reqs[2].Certificate) == 0 {
		t.Errorf("login requests: %+v", d.reqs)
	}
}

// TestCapsLockHint: an upper-case letter typed without Shift shows the
// Caps Lock hint; a lower-case one hides it; with Shift held, upper case
// is normal.
func TestCapsLockHint(t *testing.T) {
	a := test.NewTempApp(t)
	x := newTestWindows(t, a, Options{Daemon: &scriptedDaemon{}, Sources: func() []certstore.Source { return nil },
		OpenURL: func(*url.URL) error { return nil }})
	w := showLogin(t, x)
	t.Cleanup(func() { w.Close() })
	lw := x.login
	if lw.capsHint.Visible() {
		t.Fatal("hint shown before typing")
	}
	test.Type(lw.password, "A")
	if !lw.capsHint.Visible() || lw.capsHint.Text != "Caps Lock이 켜져 있습니다." {
		t.Errorf("caps on: visible %v %q", lw.capsHint.Visible(), lw.capsHint.Text)
	}
	test.Type(lw.password, "b")
	if lw.capsHint.Visible() {
		t.Error("caps off: still shown")
	}
	lw.password.KeyDown(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
	test.Type(lw.password, "C")
	lw.password.KeyUp(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
	if lw.capsHint.Visible() {
		t.Error("Shift+C is not Caps Lock")
	}
	if lw.password.Text != "AbC" {
		t.Errorf("typed %q", lw.password.Text)
	}
}
