// Package tray is the desktop app's resident process: the tray icon and
// menu, desktop notifications and the portal opening, driven by svpnd's
// watch stream, and the windows, which it opens on demand in child
// processes of the same binary. A Fyne window keeps an OpenGL context for
// as long as the process lives (about 170 MB RSS under Mesa's software
// renderer, 100 MB for Fyne's own tray, whose hidden helper window holds
// one), so this process never creates one: it drives fyne.io/systray — the
// library under Fyne's desktop.App tray — directly, and uses a Fyne app
// that is never run only for notifications and opening URLs. A window's
// memory goes away with its process when it closes.
//
// With --single-process the same controller drives Fyne's desktop.App
// tray and in-process windows instead (FyneHost).
package tray

import (
	"context"
	"net/url"
	"sync"

	"fyne.io/fyne/v2"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/assets"
	"github.com/opensvpn/svpn/ui"
)

// Host is a tray implementation: the icon and the menu.
type Host interface {
	// Update shows a new view; it may be called from any goroutine.
	Update(v ui.TrayView)
}

// Actions are what the menu and the status stream ask of the process
// holding the tray.
type Actions interface {
	ShowLogin()
	ShowDiagnostics()
	ShowAbout()
	Quit()
}

// WindowActions are Actions that can also show the connection window:
// the tray process's (a window process) and --single-process's. The
// controller uses them when the process has them: where there is no tray
// icon, for the connection; and everywhere, to ask before 연결 끊기 and to
// show an address it could not open, which a menu cannot do.
type WindowActions interface {
	Actions
	ShowConnected()
	AskDisconnect()
	ShowUnopened(addr string)
}

// Controller follows svpnd and keeps the tray, the notifications and the
// portal in step with it.
type Controller struct {
	daemon  ui.Daemon
	app     fyne.App // notifications and URLs only
	actions Actions
	host    Host

	mu    sync.Mutex
	model ui.TrayModel
	view  ui.TrayView
	ready chan struct{} // closed at the first status or failure
	once  sync.Once
	// noTray: no tray icon can be shown, the connection window stands in.
	noTray bool
	// Notify and Open replace the app's (tests).
	Notify func(ui.Notice)
	Open   func(*url.URL) error
}

// NewController returns a controller; Run starts it.
func NewController(d ui.Daemon, a fyne.App, actions Actions) *Controller {
	c := &Controller{daemon: d, app: a, actions: actions, ready: make(chan struct{})}
	c.view = ui.TrayView{Icon: ui.IconDisconnected, Status: ui.T("tray.status_disconnected")}
	c.Notify = func(n ui.Notice) { a.SendNotification(fyne.NewNotification(n.Title, n.Body)) }
	c.Open = a.OpenURL
	return c
}

// UseEnv drops the desktop notifications when the desktop has no
// notification service (or no session bus): each would only log an error
// ("Failed to send message to bus") at every state change. The diagnostics
// say why there are none (env.Notes).
//
// Without a tray icon, the controller shows the connection window when a
// connection comes up and the login window when it ends, whoever ended it.
func (c *Controller) UseEnv(e Env) {
	if !e.Notifications {
		c.Notify = func(ui.Notice) {}
	}
	c.mu.Lock()
	c.noTray = !e.Tray
	c.mu.Unlock()
}

// Ready is closed once svpnd answered, or failed to, the first time.
func (c *Controller) Ready() <-chan struct{} { return c.ready }

// SetHost attaches the tray; it gets the current view at once.
func (c *Controller) SetHost(h Host) {
	c.mu.Lock()
	c.host = h
	v := c.view
	c.mu.Unlock()
	h.Update(v)
}

// View returns what the tray shows now.
func (c *Controller) View() ui.TrayView {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.view
}

// Run follows svpnd until ctx ends.
func (c *Controller) Run(ctx context.Context) {
	ui.WatchDaemon(ctx, c.daemon,
		func(st api.Status) {
			c.apply(c.step(func(m *ui.TrayModel) (ui.TrayView, ui.TrayEffects) { return m.OnStatus(st) }))
		},
		func(err error) {
			c.apply(c.step(func(m *ui.TrayModel) (ui.TrayView, ui.TrayEffects) { return m.OnDaemonDown(err) }))
		})
}

func (c *Controller) step(f func(*ui.TrayModel) (ui.TrayView, ui.TrayEffects)) (ui.TrayView, ui.TrayEffects, Host) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, fx := f(&c.model)
	c.view = v
	return v, fx, c.host
}

func (c *Controller) apply(v ui.TrayView, fx ui.TrayEffects, h Host) {
	defer c.once.Do(func() { close(c.ready) })
	if h != nil {
		h.Update(v)
	}
	for _, n := range fx.Notices {
		c.Notify(n)
	}
	c.mu.Lock()
	noTray := c.noTray
	c.mu.Unlock()
	wa, _ := c.actions.(WindowActions)
	if fx.NewConnection && noTray && wa != nil {
		wa.ShowConnected()
	}
	if u, err := url.Parse(fx.OpenURL); fx.OpenURL != "" && err == nil {
		c.open(u)
	}
	if fx.ShowLogin || (fx.Ended && noTray) {
		c.actions.ShowLogin()
	}
}

// open opens u in the browser; when that fails (no browser configured),
// the connection window says so with the address to copy: a failure only
// the terminal saw was a portal that silently never opened.
func (c *Controller) open(u *url.URL) {
	err := c.Open(u)
	if err == nil {
		return
	}
	fyne.LogError("opening "+u.String(), err)
	if wa, ok := c.actions.(WindowActions); ok {
		wa.ShowUnopened(u.String())
	}
}

// OpenPortal is 행정포탈 열기.
func (c *Controller) OpenPortal() {
	if u, err := url.Parse(c.View().Portal); err == nil && u.String() != "" {
		c.open(u)
	}
}

// askDisconnect is the menu's 연결 끊기: asked in the connection window
// when the process can show one, else done at once.
func (c *Controller) askDisconnect() {
	if wa, ok := c.actions.(WindowActions); ok {
		wa.AskDisconnect()
		return
	}
	c.Disconnect()
}

// Disconnect is 연결 끊기.
func (c *Controller) Disconnect() {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), ui.CallTimeout)
		defer cancel()
		if _, err := c.daemon.Logout(ctx); err != nil {
			p := ui.Explain(err)
			c.Notify(ui.Notice{Title: ui.T("notify.error_title"), Body: p.String()})
		}
	}()
}

// Menu labels, in menu order.
type menuItem int

const (
	itemStatus menuItem = iota
	itemPortal
	itemConnect
	itemDisconnect
	itemDiagnostics
	itemLogin
	itemAbout
	itemQuit
)

// itemAction runs a menu item.
func (c *Controller) itemAction(i menuItem) func() {
	switch i {
	case itemPortal:
		return c.OpenPortal
	case itemConnect, itemLogin:
		return c.actions.ShowLogin
	case itemDisconnect:
		return c.askDisconnect
	case itemDiagnostics:
		return c.actions.ShowDiagnostics
	case itemAbout:
		return c.actions.ShowAbout
	case itemQuit:
		return c.actions.Quit
	}
	return func() {}
}

func itemLabel(i menuItem) string {
	return [...]string{"", ui.T("tray.portal"), ui.T("tray.connect"), ui.T("tray.disconnect"),
		ui.T("tray.diagnostics"), ui.T("tray.login"), ui.T("tray.about"), ui.T("tray.quit")}[i]
}

// iconPNG returns the tray icon of a state.
func iconPNG(i ui.TrayIcon) []byte {
	switch i {
	case ui.IconConnecting:
		return assets.TrayConnecting
	case ui.IconConnected:
		return assets.TrayConnected
	case ui.IconError:
		return assets.TrayError
	}
	return assets.TrayDisconnected
}

// IconResource returns the tray icon of a state as a Fyne resource.
func IconResource(i ui.TrayIcon) fyne.Resource {
	return fyne.NewStaticResource("tray-"+i.String()+".png", iconPNG(i))
}
