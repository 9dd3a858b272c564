package ui

import (
	"time"

	"github.com/opensvpn/svpn/api"
)

// TrayIcon is one of the tray's four icons.
type TrayIcon int

const (
	IconDisconnected TrayIcon = iota
	IconConnecting
	IconConnected
	IconError
)

func (i TrayIcon) String() string {
	return [...]string{"disconnected", "connecting", "connected", "error"}[i]
}

// TrayView is what the tray shows for a status.
type TrayView struct {
	Icon      TrayIcon
	Status    string // the menu's status line and the tooltip
	Connected bool   // 연결 끊기 instead of 연결
	Busy      bool   // a login or reconnection is under way
	Portal    string // 행정포탈 열기 target; "" disables it
}

// Notice is a desktop notification.
type Notice struct{ Title, Body string }

// TrayEffects are what a status change asks the tray process to do.
type TrayEffects struct {
	Notices   []Notice
	OpenURL   string // the portal, after a new connection
	ShowLogin bool   // the session ended without the user asking: log in again
	// NewConnection: the tunnel just came up (the connection window
	// appears where there is no tray icon).
	NewConnection bool
	// Ended: a live connection ended, whoever asked (the login window
	// takes over from the connection window).
	Ended bool
}

// TrayModel turns svpnd's status stream into the tray's icon, menu and
// notifications. It holds only what it needs to notice transitions; svpnd
// stays the single source of truth.
type TrayModel struct {
	Now func() time.Time

	seen        bool // a status arrived since the app started
	up          bool // svpnd answers
	downNotice  bool // the outage was announced
	prev        api.Status
	warnedUntil time.Time // the session expiry already warned about
}

// OnStatus takes the next status from the watch stream.
func (m *TrayModel) OnStatus(st api.Status) (TrayView, TrayEffects) {
	var fx TrayEffects
	prev, seen := m.prev, m.seen
	m.prev, m.seen, m.up, m.downNotice = st, true, true, false
	live := func(s api.State) bool { return s == api.StateConnected || s == api.StateReconnecting }

	if seen {
		switch {
		case st.State == api.StateConnected && !live(prev.State):
			// A new connection: announce it and open the portal.
			fx.Notices = append(fx.Notices, Notice{T("notify.connected_title"), m.connectedBody(st)})
			fx.OpenURL = PortalURL(st)
			fx.NewConnection = true
		case st.State == api.StateConnected && prev.State == api.StateReconnecting:
			body := T("notify.restored_body")
			if st.Gateway != prev.Gateway && prev.Gateway != "" { // svpnd moved to another node
				body = Tf("notify.moved_body", map[string]any{"Gateway": st.Gateway, "Address": st.Address})
			}
			fx.Notices = append(fx.Notices, Notice{T("notify.restored_title"), body})
		case st.State == api.StateReconnecting && prev.State == api.StateConnected:
			body := T("notify.reconnecting_body")
			if st.LastErrorCode != "" {
				body += " (" + ErrorNumber(st.LastErrorCode) + ")"
			}
			fx.Notices = append(fx.Notices, Notice{T("notify.reconnecting_title"), body})
		case live(prev.State) && !live(st.State):
			body := EndReasonText(string(st.EndReason))
			if st.LastErrorCode != "" && st.EndReason == "" {
				body = ExplainCode(st.LastErrorCode).String()
			} else if st.LastErrorCode != "" {
				body += " (" + ErrorNumber(st.LastErrorCode) + ")"
			}
			fx.Notices = append(fx.Notices, Notice{T("notify.disconnected_title"), body})
			fx.ShowLogin = st.EndReason != api.EndLogout
			fx.Ended = true
		}
	}
	if st.State == api.StateConnected && st.ExpiringSoon && !st.SessionExpiresAt.Equal(m.warnedUntil) {
		m.warnedUntil = st.SessionExpiresAt
		fx.Notices = append(fx.Notices, Notice{T("notify.expiring_title"),
			Tf("notify.expiring_body", map[string]any{"Time": st.SessionExpiresAt.Local().Format("15:04")})})
	}
	return m.view(st), fx
}

func (m *TrayModel) connectedBody(st api.Status) string {
	gw := st.GatewayName
	if gw == "" {
		gw = st.Gateway
	}
	return Tf("notify.connected_body", map[string]any{"Gateway": gw, "Address": st.Address})
}

// OnDaemonDown takes a failure of the watch stream: svpnd is not running
// or restarted. The first failure after svpnd answered is announced.
func (m *TrayModel) OnDaemonDown(error) (TrayView, TrayEffects) {
	var fx TrayEffects
	if m.up && !m.downNotice {
		p := ExplainCode(api.CodeDaemonUnavailable)
		fx.Notices = append(fx.Notices, Notice{T("notify.daemon_down_title"), p.String()})
		m.downNotice = true
	}
	m.up = false
	return TrayView{Icon: IconError, Status: T("tray.status_daemon_down")}, fx
}

func (m *TrayModel) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

func (m *TrayModel) view(st api.Status) TrayView {
	v := TrayView{}
	switch st.State {
	case api.StateConnected:
		v.Icon, v.Connected, v.Portal = IconConnected, true, PortalURL(st)
		gw := st.GatewayName
		if gw == "" {
			gw = st.Gateway
		}
		v.Status = Tf("tray.status_connected", map[string]any{"Gateway": gw, "Address": st.Address,
			"Since": formatTime(st.ConnectedAt, m.now())})
		if st.Transport == api.TransportTCP {
			v.Status += " · " + T("tray.via_tcp")
		}
		if st.ExpiringSoon && !st.SessionExpiresAt.IsZero() {
			// The session runs out: the menu's status line and the tooltip
			// say when (the gateway cannot extend it).
			v.Status += " · " + Tf("tray.status_expiring", map[string]any{"Time": st.SessionExpiresAt.Local().Format("15:04")})
		}
	case api.StateReconnecting:
		v.Icon, v.Connected, v.Busy = IconConnecting, true, true
		v.Status = T("tray.status_reconnecting")
	case api.StateAuthenticating, api.StateConnecting:
		v.Icon, v.Connected, v.Busy = IconConnecting, false, true
		v.Status = T("tray.status_connecting")
	default:
		v.Icon = IconDisconnected
		v.Status = T("tray.status_disconnected")
	}
	if ks := KillSwitchText(st, m.now()); ks != "" {
		v.Status += " · " + ks
	}
	return v
}
