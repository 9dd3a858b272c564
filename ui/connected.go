package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/opensvpn/svpn/api"
)

// connWindow is the small connection window: what the tray menu offers
// (행정포탈 열기, 연결 끊기, 진단 정보) in a window that stays reachable,
// for desktops without a tray host (a bare X session, many VDI desktops,
// GNOME without the AppIndicator extension), where the app would otherwise
// vanish once connected. It also carries what a notification would have
// said (접속 완료, the session running out), and it is where the tray
// process asks before 연결 끊기 and shows an address it could not open.
type connWindow struct {
	x      *Windows
	w      fyne.Window
	ctx    context.Context
	cancel context.CancelFunc

	icon    *widget.Icon
	head    *widget.Label // 접속 완료 / 다시 연결하는 중 / …
	detail  *widget.Label // the gateway and address
	since   *widget.Label
	expires *widget.Label
	expiry  *widget.Label // the session runs out soon
	note    *widget.Label // svpnd away, a failed logout
	hint    *widget.Label // what closing the window does

	portalBtn *keyButton
	logoutBtn *keyButton
	diagBtn   *keyButton

	status    api.Status
	seen      bool // a status arrived
	wasLive   bool // the connection was up at some point
	daemonUp  bool
	confirm   dialog.Dialog // the open 연결 끊기 question, nil when none
	loggingOf bool          // a logout is under way
}

// connWidth is the connection window's width (Fyne units).
const connWidth = 400

func newConnWindow(x *Windows) *connWindow {
	cw := &connWindow{x: x, w: x.fa.NewWindow(T("conn.title"))}
	cw.ctx, cw.cancel = context.WithCancel(context.Background())
	cw.w.SetIcon(AppIcon)
	cw.icon = widget.NewIcon(theme.ConfirmIcon())
	cw.head = heading(T("status.connecting"))
	cw.detail = wrapped("")
	cw.since = widget.NewLabel("-")
	cw.expires = widget.NewLabel("-")
	cw.expiry = wrapped("")
	cw.expiry.Importance = widget.WarningImportance
	cw.expiry.Hide()
	cw.note = wrapped("")
	cw.note.Importance = widget.WarningImportance
	cw.note.Hide()
	cw.hint = caption(cw.closeHint())

	cw.portalBtn = newKeyButton(T("status.open_portal"), theme.ComputerIcon(), cw.openPortal)
	cw.portalBtn.Importance = widget.HighImportance
	cw.logoutBtn = newKeyButton(T("status.disconnect"), theme.LogoutIcon(), cw.askDisconnect)
	cw.diagBtn = newKeyButton(T("tray.diagnostics"), theme.InfoIcon(), x.openDiagnostics)
	for _, b := range []*keyButton{cw.portalBtn, cw.logoutBtn, cw.diagBtn} {
		b.onEscape = cw.escape
	}

	grid := container.New(layout.NewFormLayout(),
		bold(T("status.since")), cw.since,
		bold(T("status.expires")), cw.expires)
	cw.w.SetContent(container.NewPadded(container.NewVBox(
		container.NewBorder(nil, nil, container.NewVBox(cw.icon), nil, container.NewVBox(cw.head, cw.detail)),
		cw.expiry,
		cw.note,
		grid,
		widget.NewSeparator(),
		container.NewGridWithColumns(3, cw.portalBtn, cw.logoutBtn, cw.diagBtn),
		cw.hint,
	)))
	cw.w.Resize(fyne.NewSize(connWidth, 10))
	cw.w.CenterOnScreen()
	x.setupClose(cw.w, func() {
		cw.cancel()
		x.conn = nil
	})
	cw.w.Canvas().SetOnTypedKey(func(k *fyne.KeyEvent) {
		if k.Name == fyne.KeyEscape {
			cw.escape()
		}
	})
	cw.show(api.Status{State: api.StateConnecting})
	go WatchDaemon(cw.ctx, x.o.Daemon,
		func(st api.Status) { cw.x.onMain(cw.ctx, func() { cw.onStatus(st) }) },
		func(err error) { cw.x.onMain(cw.ctx, func() { cw.onDaemonDown(err) }) })
	go cw.tick()
	return cw
}

// closeHint says what closing this window does, which depends on whether
// a tray icon remains to reach the app.
func (cw *connWindow) closeHint() string {
	if cw.x.o.NoTray {
		return T("conn.close_quits")
	}
	return T("conn.close_tray")
}

// escape is Escape: it answers an open question with 취소; otherwise
// closes the window (as its close button does) only when a tray icon
// remains to reach the app: without one, this window is the only way to
// 연결 끊기, and a stray key must not take it away.
func (cw *connWindow) escape() {
	if cw.confirm != nil {
		cw.confirm.Hide()
		return
	}
	if cw.x.urlDialog != nil {
		cw.x.urlDialog.Hide()
		return
	}
	if !cw.x.o.NoTray {
		cw.w.Close()
	}
}

// tick refreshes the time left every 15 s while the window is open: the
// status stream says when the session ends, not how long is left now.
func (cw *connWindow) tick() {
	t := time.NewTicker(15 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-cw.ctx.Done():
			return
		case <-t.C:
			cw.x.onMain(cw.ctx, func() { cw.showExpiry(cw.status) })
		}
	}
}

func (cw *connWindow) onDaemonDown(error) {
	cw.daemonUp = false
	cw.note.SetText(ExplainCode(api.CodeDaemonUnavailable).String())
	cw.note.Show()
	cw.portalBtn.Disable()
	cw.logoutBtn.Disable()
	cw.fit()
}

func (cw *connWindow) onStatus(st api.Status) {
	if !cw.daemonUp {
		cw.daemonUp = true
		cw.note.Hide()
	}
	cw.seen = true
	live := st.State == api.StateConnected || st.State == api.StateReconnecting
	if live {
		cw.wasLive = true
	}
	cw.show(st)
	if !live && cw.wasLive && st.State != api.StateAuthenticating && st.State != api.StateConnecting {
		// The connection ended: this window has nothing more to offer;
		// the login window takes over.
		if cw.confirm != nil {
			cw.confirm.Hide()
		}
		if cw.x.o.OnConnectionEnded != nil {
			cw.x.o.OnConnectionEnded(st)
		}
	}
}

// show lays out st.
func (cw *connWindow) show(st api.Status) {
	cw.status = st
	gw := st.GatewayName
	if gw == "" {
		gw = st.Gateway
	}
	switch st.State {
	case api.StateConnected:
		cw.icon.SetResource(theme.NewSuccessThemedResource(theme.ConfirmIcon()))
		// What the 접속 완료 notification says, for desktops without one.
		cw.head.SetText(T("notify.connected_title"))
		cw.detail.SetText(Tf("conn.detail", map[string]any{"Gateway": gw, "Address": st.Address}))
	case api.StateReconnecting:
		cw.icon.SetResource(theme.NewWarningThemedResource(theme.WarningIcon()))
		cw.head.SetText(T("status.reconnecting"))
		d := ""
		if st.LastErrorCode != "" {
			d = ExplainCode(st.LastErrorCode).String()
		}
		cw.detail.SetText(d)
	case api.StateConnecting, api.StateAuthenticating:
		cw.icon.SetResource(theme.MediaReplayIcon())
		cw.head.SetText(T("status.connecting"))
		cw.detail.SetText("")
	default:
		cw.icon.SetResource(theme.InfoIcon())
		cw.head.SetText(T("tray.status_disconnected"))
		cw.detail.SetText("")
	}
	setVisible(cw.detail, cw.detail.Text != "")
	cw.since.SetText(formatTime(st.ConnectedAt, cw.x.o.Now()))
	cw.expires.SetText(formatTime(st.SessionExpiresAt, cw.x.o.Now()))
	if st.State == api.StateConnected && PortalURL(st) != "" {
		cw.portalBtn.Enable()
	} else {
		cw.portalBtn.Disable()
	}
	if (st.State == api.StateConnected || st.State == api.StateReconnecting) && !cw.loggingOf {
		cw.logoutBtn.Enable()
	} else {
		cw.logoutBtn.Disable()
	}
	cw.showExpiry(st)
	if cw.w.Canvas().Focused() == nil && cw.confirm == nil && cw.x.urlDialog == nil {
		// A known place for the keyboard: Enter opens the portal, Tab
		// goes on to 연결 끊기 and 진단 정보.
		if !cw.portalBtn.Disabled() {
			cw.w.Canvas().Focus(cw.portalBtn)
		} else if !cw.logoutBtn.Disabled() {
			cw.w.Canvas().Focus(cw.logoutBtn)
		}
	}
	cw.fit()
}

// showExpiry warns, with the time left, when the session ends within
// api.SessionWarning (svpnd's expiring_soon). The gateway has no call to
// extend a session (a heartbeat keeps it from idling out, never past its
// absolute end): the warning says so and what to do.
func (cw *connWindow) showExpiry(st api.Status) {
	was := cw.expiry.Visible()
	left := st.SessionExpiresAt.Sub(cw.x.o.Now())
	if st.State != api.StateConnected || !st.ExpiringSoon || st.SessionExpiresAt.IsZero() {
		cw.expiry.Hide()
	} else {
		cw.expiry.SetText(Tf("conn.expiring", map[string]any{
			"Minutes": max(0, int((left+time.Minute-1)/time.Minute)),
			"Time":    st.SessionExpiresAt.Local().Format("15:04")}))
		cw.expiry.Show()
	}
	if was != cw.expiry.Visible() {
		cw.fit()
	}
}

func (cw *connWindow) fit() { cw.x.fitHeight(cw.ctx, cw.w, connWidth) }

func (cw *connWindow) openPortal() {
	if u := parseURL(PortalURL(cw.status)); u != nil {
		cw.x.opener(cw.w)(u)
	}
}

// askDisconnect is 연결 끊기: asked first, since it ends the work of
// everything that goes through the tunnel. 취소 (or Escape) keeps it.
func (cw *connWindow) askDisconnect() {
	if cw.confirm != nil {
		return
	}
	cw.confirm = askDisconnect(cw.w, connWidth-40, cw.disconnect, func() {
		cw.confirm = nil
		cw.w.Canvas().Focus(cw.logoutBtn)
	})
}

// askDisconnect asks in w whether to 연결 끊기, calling yes if so and
// closed when the question goes either way. The safe answer, 취소, has the
// focus: Enter or Space on it keeps the connection; Escape too.
func askDisconnect(w fyne.Window, width float32, yes, closed func()) dialog.Dialog {
	yesBtn := newKeyButton(T("status.disconnect"), theme.LogoutIcon(), nil)
	yesBtn.Importance = widget.DangerImportance
	no := newKeyButton(T("common.cancel"), theme.CancelIcon(), nil)
	msg := wrapped(T("conn.confirm_disconnect"))
	d := dialog.NewCustomWithoutButtons(T("conn.confirm_title"), msg, w)
	d.SetButtons([]fyne.CanvasObject{no, yesBtn})
	yesBtn.OnTapped = func() { d.Hide(); yes() }
	no.OnTapped = d.Hide
	yesBtn.onEscape, no.onEscape = d.Hide, d.Hide
	d.SetOnClosed(closed)
	d.Resize(fyne.NewSize(width, 0))
	d.Show()
	w.Canvas().Focus(no)
	return d
}

func (cw *connWindow) disconnect() {
	d := cw.x.o.Daemon
	cw.loggingOf = true
	cw.logoutBtn.Disable()
	go func() {
		ctx, cancel := withTimeout(cw.ctx, callTimeout)
		defer cancel()
		_, err := d.Logout(ctx)
		cw.x.onMain(cw.ctx, func() {
			cw.loggingOf = false
			if err != nil {
				p := Explain(err)
				cw.note.SetText(p.String())
				cw.note.Show()
				cw.logoutBtn.Enable()
				cw.fit()
			}
		})
	}()
}

// ShowConnected shows the connection window, creating it if needed.
func (x *Windows) ShowConnected() fyne.Window {
	if x.conn == nil {
		x.conn = newConnWindow(x)
	}
	x.conn.w.Show()
	x.conn.w.RequestFocus()
	return x.conn.w
}

// HideConnected hides the connection window (persistent windows).
func (x *Windows) HideConnected() {
	if x.conn != nil {
		x.conn.w.Hide()
	}
}

// CloseConnected closes the connection window, if open.
func (x *Windows) CloseConnected() {
	if x.conn != nil {
		x.conn.w.Close()
	}
}

// AskDisconnect shows the connection window asking whether to 연결 끊기:
// the tray menu's 연결 끊기, which has no window of its own to ask in.
func (x *Windows) AskDisconnect() fyne.Window {
	w := x.ShowConnected()
	x.conn.askDisconnect()
	return w
}

// ShowUnopened shows the connection window saying that addr could not be
// opened (no browser), with the address to copy: the tray process's
// 행정포탈 열기, which has no window of its own to say it in.
func (x *Windows) ShowUnopened(addr string) fyne.Window {
	w := x.ShowConnected()
	if u := parseURL(addr); u != nil {
		x.showURLDialog(w, u)
	}
	return w
}
