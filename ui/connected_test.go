package ui

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/opensvpn/svpn/api"
)

// streamDaemon is svpnd whose watch stream the test feeds.
type streamDaemon struct {
	scriptedDaemon
	statuses chan api.Status
	mu       sync.Mutex
	logouts  int
}

func newStreamDaemon() *streamDaemon { return &streamDaemon{statuses: make(chan api.Status, 8)} }

func (d *streamDaemon) Watch(ctx context.Context, f func(api.Status)) error {
	for {
		select {
		case st := <-d.statuses:
			f(st)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (d *streamDaemon) Logout(context.Context) (api.Status, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.logouts++
	return api.Status{State: api.StateDisconnected, EndReason: api.EndLogout}, nil
}

func (d *streamDaemon) loggedOut() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.logouts
}

func connectedStatus(now time.Time) api.Status {
	return api.Status{State: api.StateConnected, User: "kim01", GatewayName: "행정안전부 원격근무", Address: "10.77.0.9/32",
		PortalURL: "http://10.77.0.1/", ConnectedAt: now.Add(-time.Hour), SessionExpiresAt: now.Add(7 * time.Hour)}
}

// press types a key at whatever has the focus in w (the window when
// nothing does), as the keyboard would.
func press(w fyne.Window, k fyne.KeyName) {
	ev := &fyne.KeyEvent{Name: k}
	if f := w.Canvas().Focused(); f != nil {
		f.TypedKey(ev)
		return
	}
	if h := w.Canvas().OnTypedKey(); h != nil {
		h(ev)
	}
}

// TestConnectedWindow: without a tray icon, the connection window is the
// app once connected (issue 17, item 1): it says 접속 완료 (what no
// notification said), offers 행정포탈 열기, 연결 끊기 (asked first) and 진단
// 정보, works from the keyboard alone, warns with the time left before the
// session ends, and hands over when the connection ends.
func TestConnectedWindow(t *testing.T) {
	a := test.NewTempApp(t)
	now := time.Date(2026, 11, 29, 14, 0, 0, 0, time.Local)
	d := newStreamDaemon()
	var opened []string
	var ended []api.Status
	diag := 0
	x := newTestWindows(t, a, Options{Daemon: d, NoTray: true, Now: func() time.Time { return now },
		OpenURL:           func(u *url.URL) error { opened = append(opened, u.String()); return nil },
		OnConnectionEnded: func(st api.Status) { ended = append(ended, st) },
		OpenDiagnostics:   func() { diag++ }})
	w := x.ShowConnected()
	t.Cleanup(func() { w.Close() })
	cw := x.conn
	st := connectedStatus(now)
	d.statuses <- st
	eventually(t, 5*time.Second, "접속 완료", func() bool {
		done := false
		onUI(func() { done = cw.head.Text == T("notify.connected_title") && !cw.portalBtn.Disabled() })
		return done
	})
	if !strings.Contains(cw.detail.Text, "행정안전부 원격근무") || !strings.Contains(cw.detail.Text, "10.77.0.9/32") {
		t.Errorf("detail %q", cw.detail.Text)
	}
	if cw.expiry.Visible() {
		t.Error("an expiry warning 7 hours before")
	}
	if cw.hint.Text != T("conn.close_quits") {
		t.Errorf("hint %q", cw.hint.Text)
	}

	// The keyboard alone: the focus starts on 행정포탈 열기; Tab order,
	// Enter on a button.
	c := w.Canvas()
	eventually(t, 5*time.Second, "the focus on 행정포탈 열기", func() bool { return c.Focused() == cw.portalBtn })
	c.Unfocus()
	var order []string
	for range 3 {
		c.FocusNext()
		b, ok := c.Focused().(*keyButton)
		if !ok {
			t.Fatalf("focus on %T", c.Focused())
		}
		order = append(order, b.Text)
	}
	if got := strings.Join(order, "|"); got != "행정포탈 열기|연결 끊기|진단 정보" {
		t.Errorf("tab order %s", got)
	}
	c.Focus(cw.portalBtn)
	press(w, fyne.KeyReturn)
	if len(opened) != 1 || opened[0] != "http://10.77.0.1/" {
		t.Errorf("Enter on 행정포탈 열기 opened %v", opened)
	}
	c.Focus(cw.diagBtn)
	press(w, fyne.KeyReturn)
	if diag != 1 {
		t.Errorf("Enter on 진단 정보: %d", diag)
	}

	// 연결 끊기 asks; Escape and 취소 keep the connection.
	c.Focus(cw.logoutBtn)
	press(w, fyne.KeyReturn)
	if cw.confirm == nil {
		t.Fatal("연결 끊기 did not ask")
	}
	if b, ok := c.Focused().(*keyButton); !ok || b.Text != T("common.cancel") {
		t.Errorf("the question's focus is on %v, want 취소", c.Focused())
	}
	press(w, fyne.KeyEscape)
	if cw.confirm != nil {
		t.Fatal("Escape did not dismiss the question")
	}
	press(w, fyne.KeyEscape) // no tray: Escape must not close the only window
	if x.conn == nil {
		t.Fatal("Escape closed the connection window although there is no tray")
	}
	cw.askDisconnect()
	press(w, fyne.KeyReturn) // on 취소
	if cw.confirm != nil || d.loggedOut() != 0 {
		t.Fatalf("Enter on 취소: question %v, logouts %d", cw.confirm, d.loggedOut())
	}
	x.AskDisconnect() // the tray menu's 연결 끊기
	var yes *keyButton
	for _, o := range test.LaidOutObjects(c.Overlays().Top()) {
		if b, ok := o.(*keyButton); ok && b.Text == T("status.disconnect") {
			yes = b
		}
	}
	if yes == nil {
		t.Fatal("no 연결 끊기 in the question")
	}
	c.Focus(yes)
	press(w, fyne.KeyReturn)
	eventually(t, 5*time.Second, "the logout", func() bool { return d.loggedOut() == 1 })

	// The session running out: the time left, and that it cannot be extended.
	st.SessionExpiresAt, st.ExpiringSoon = now.Add(8*time.Minute+10*time.Second), true
	d.statuses <- st
	eventually(t, 5*time.Second, "the expiry warning", func() bool { return cw.expiry.Visible() })
	if want := Tf("conn.expiring", map[string]any{"Minutes": 9, "Time": st.SessionExpiresAt.Local().Format("15:04")}); cw.expiry.Text != want {
		t.Errorf("expiry %q, want %q", cw.expiry.Text, want)
	}
	now = now.Add(5 * time.Minute)
	onUI(func() { cw.showExpiry(cw.status) }) // what the ticker does
	if !strings.Contains(cw.expiry.Text, "4") {
		t.Errorf("time left not updated: %q", cw.expiry.Text)
	}

	// The connection ends: the window hands over.
	d.statuses <- api.Status{State: api.StateDisconnected, EndReason: api.EndLogout}
	eventually(t, 5*time.Second, "the hand-over", func() bool { return len(ended) == 1 })
}

// TestConnectedWindowWithTray: where a tray icon remains, Escape closes
// the window and its hint says the tray reopens it; the tray's 행정포탈 열기
// that found no browser shows the address there (issue 17, item 2).
func TestConnectedWindowWithTray(t *testing.T) {
	a := test.NewTempApp(t)
	d := newStreamDaemon()
	x := newTestWindows(t, a, Options{Daemon: d, OpenURL: func(*url.URL) error { return errors.New("no browser") }})
	w := x.ShowUnopened("http://127.0.0.1:8443/portal")
	cw := x.conn
	if cw.hint.Text != T("conn.close_tray") {
		t.Errorf("hint %q", cw.hint.Text)
	}
	if x.urlDialog == nil {
		t.Fatal("no address dialog")
	}
	var addr *widget.Entry
	for _, o := range test.LaidOutObjects(w.Canvas().Overlays().Top()) {
		if e, ok := o.(*widget.Entry); ok {
			addr = e
		}
	}
	if addr == nil || addr.Text != "http://127.0.0.1:8443/portal" {
		t.Fatalf("address %v", addr)
	}
	x.urlDialog.Hide()
	press(w, fyne.KeyEscape)
	if x.conn != nil {
		t.Error("Escape did not close the connection window")
	}
}
