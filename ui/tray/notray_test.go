package tray

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/ui"
)

// windowActions records what the controller asks of a process with
// windows.
type windowActions struct {
	fakeActions
	mu2 sync.Mutex
	log []string
}

func (w *windowActions) add(s string) { w.mu2.Lock(); w.log = append(w.log, s); w.mu2.Unlock() }
func (w *windowActions) ShowLogin()   { w.add("login") }
func (w *windowActions) ShowConnected() {
	w.add("connected")
}
func (w *windowActions) AskDisconnect()           { w.add("ask") }
func (w *windowActions) ShowUnopened(addr string) { w.add("unopened " + addr) }
func (w *windowActions) String() string {
	w.mu2.Lock()
	defer w.mu2.Unlock()
	return strings.Join(w.log, "|")
}

// TestControllerWithoutTray: where no tray icon can be shown, a new
// connection brings up the connection window and its end the login
// window, even when the user ended it; the portal that no browser opened
// is shown with its address; the menu's 연결 끊기 asks instead of acting
// (issue 17, items 1, 2 and 4).
func TestControllerWithoutTray(t *testing.T) {
	connected := api.Status{State: api.StateConnected, Address: "10.77.0.2/32", PortalURL: "http://10.77.0.1/"}
	d := &fakeDaemon{streams: [][]api.Status{
		{{State: api.StateDisconnected}, connected, {State: api.StateDisconnected, EndReason: api.EndLogout}},
	}}
	acts := &windowActions{}
	c := NewController(d, test.NewTempApp(t), acts)
	c.UseEnv(Env{Notes: []string{"env.no_dbus"}})
	c.Open = func(*url.URL) error { return errors.New("xdg-open: exit status 3") }
	ready := c.Ready()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.Run(ctx)
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatal("not ready after the first status")
	}
	eventually(t, "the hand-over back to the login window", func() bool { return strings.Count(acts.String(), "login") == 1 })
	if got := acts.String(); got != "connected|unopened http://10.77.0.1/|login" {
		t.Errorf("actions %s", got)
	}
	c.itemAction(itemDisconnect)()
	if !strings.HasSuffix(acts.String(), "|ask") {
		t.Errorf("the menu's 연결 끊기 did not ask: %s", acts.String())
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.logout != 0 {
		t.Errorf("the menu's 연결 끊기 logged out without asking")
	}
}

// With a tray, the connection window is not forced on anyone, and a
// logout the user asked for brings no login window.
func TestControllerWithTray(t *testing.T) {
	connected := api.Status{State: api.StateConnected, Address: "10.77.0.2/32", PortalURL: "http://10.77.0.1/"}
	d := &fakeDaemon{streams: [][]api.Status{
		{{State: api.StateDisconnected}, connected, {State: api.StateDisconnected, EndReason: api.EndLogout}},
	}}
	acts := &windowActions{}
	c := NewController(d, test.NewTempApp(t), acts)
	c.UseEnv(Env{Tray: true, Notifications: true})
	c.Notify = func(ui.Notice) {}
	opened := make(chan string, 4)
	c.Open = func(u *url.URL) error { opened <- u.String(); return nil }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.Run(ctx)
	select {
	case u := <-opened:
		if u != "http://10.77.0.1/" {
			t.Errorf("opened %s", u)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the portal did not open")
	}
	time.Sleep(100 * time.Millisecond) // the logout's status, processed in order after the connection's
	if got := acts.String(); got != "" {
		t.Errorf("actions with a tray: %s", got)
	}
}
