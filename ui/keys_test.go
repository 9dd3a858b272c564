package ui

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
)

func keyWindows(t *testing.T) (*Windows, fyne.App) {
	a := test.NewTempApp(t)
	d := &quietDiagDaemon{diagDaemon{diag: api.Diagnostics{Status: api.Status{State: api.StateDisconnected},
		Profile: api.Profile{Helpdesk: testHelpdesk}}}}
	return newTestWindows(t, a, Options{Daemon: d, Sources: func() []certstore.Source { return nil },
		OpenURL: func(*url.URL) error { return nil }}), a
}

// TestKeyboardDiagnostics: 진단 정보 from the keyboard alone: the focus
// starts on 복사 and Enter copies; Tab goes 저장, 새로 고침, 닫기 in that
// order; Escape closes the window wherever the focus is (issue 17).
func TestKeyboardDiagnostics(t *testing.T) {
	x, a := keyWindows(t)
	w := x.ShowDiagnostics()
	t.Cleanup(func() {
		if x.diag != nil {
			w.Close()
		}
	})
	dw := x.diag
	eventually(t, 5*time.Second, "the report", func() bool { return strings.Contains(dw.Text(), "1833-6570") })
	c := w.Canvas()
	if c.Focused() != dw.buttons[0] {
		t.Fatalf("the focus starts on %v, want 복사", c.Focused())
	}
	press(w, fyne.KeyReturn)
	if !strings.Contains(a.Clipboard().Content(), "1833-6570") {
		t.Errorf("Enter on 복사 copied %q", a.Clipboard().Content())
	}
	var order []string
	for range 3 {
		c.FocusNext()
		if b, ok := c.Focused().(*keyButton); ok {
			order = append(order, b.Text)
		}
	}
	if got := strings.Join(order, "|"); got != "저장|새로 고침|닫기" {
		t.Errorf("tab order %q", got)
	}
	c.Focus(dw.buttons[2]) // 새로 고침: Escape from a button, not only from the window
	press(w, fyne.KeyEscape)
	if x.diag != nil {
		t.Error("Escape did not close 진단 정보")
	}
}

// TestKeyboardAbout: 정보 closes with Enter (its one button has the
// focus) or Escape.
func TestKeyboardAbout(t *testing.T) {
	for _, k := range []fyne.KeyName{fyne.KeyReturn, fyne.KeyEscape} {
		x, _ := keyWindows(t)
		w := x.ShowAbout()
		if _, ok := w.Canvas().Focused().(*keyButton); !ok {
			t.Fatalf("the focus is on %v, want 닫기", w.Canvas().Focused())
		}
		press(w, k)
		if x.about != nil {
			t.Errorf("%s did not close 정보", k)
			w.Close()
		}
	}
}

// TestKeyboardPicker: 인증서 선택 from the keyboard alone: the focus
// starts in the certificate password; Escape there cancels and gives the
// login window its password field back; the login window's Enter in the
// ID goes on to the password, and Enter there opens the picker again.
func TestKeyboardPicker(t *testing.T) {
	a := test.NewTempApp(t)
	root := t.TempDir()
	copyRealFixture(t, root)
	x := newTestWindows(t, a, Options{Daemon: &scriptedDaemon{}, Sources: func() []certstore.Source {
		return certstore.SourcesForDrive(root, certstore.LocationRemovable)
	}, OpenURL: func(*url.URL) error { return nil }})
	w := showLogin(t, x)
	t.Cleanup(func() { w.Close() })
	lw := x.login
	w.Canvas().Focus(lw.user)
	test.Type(lw.user, "kim01")
	press(w, fyne.KeyReturn)
	if w.Canvas().Focused() != lw.password {
		t.Fatalf("Enter in the ID: focus on %v", w.Canvas().Focused())
	}
	test.Type(lw.password, "pw")
	lw.password.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	p := lw.picker
	if p == nil {
		t.Fatal("Enter in the password did not open the picker")
	}
	if p.w.Canvas().Focused() != p.password {
		t.Errorf("the picker's focus is on %v, want the certificate password", p.w.Canvas().Focused())
	}
	press(p.w, fyne.KeyEscape)
	if lw.picker != nil {
		t.Fatal("Escape did not cancel the picker")
	}
	if w.Canvas().Focused() != lw.password {
		t.Errorf("after 취소 the focus is on %v, want the account password", w.Canvas().Focused())
	}
}

// TestKeyboardPickerButtons: with the focus on one of the picker's
// buttons, Enter presses it (Fyne's button answers only Space) and Escape
// cancels the picker, as it does from the password field.
func TestKeyboardPickerButtons(t *testing.T) {
	a := test.NewTempApp(t)
	root := t.TempDir()
	copyRealFixture(t, root)
	x := newTestWindows(t, a, Options{Daemon: &scriptedDaemon{}, Sources: func() []certstore.Source {
		return certstore.SourcesForDrive(root, certstore.LocationRemovable)
	}, OpenURL: func(*url.URL) error { return nil }})
	w := showLogin(t, x)
	t.Cleanup(func() { w.Close() })
	lw := x.login
	open := func() *pickerWindow {
		t.Helper()
		test.Type(lw.user, "kim01")
		test.Type(lw.password, "pw")
		lw.password.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
		if lw.picker == nil {
			t.Fatal("Enter in the password did not open the picker")
		}
		return lw.picker
	}

	p := open()
	p.w.Canvas().Focus(p.okBtn)
	press(p.w, fyne.KeyEscape)
	if lw.picker != nil {
		t.Fatal("Escape on the focused 확인 did not cancel the picker")
	}

	p = open()
	p.w.Canvas().Focus(p.cancelBtn)
	press(p.w, fyne.KeyReturn)
	if lw.picker != nil {
		t.Fatal("Enter on the focused 취소 did not press it")
	}
}
