package ui

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
)

func TestTrayModel(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.Local)
	m := &TrayModel{Now: func() time.Time { return now }}
	connected := api.Status{State: api.StateConnected, GatewayName: "원격근무서비스", Address: "10.77.0.2/32", ConnectedAt: now,
		PortalURL: "http://10.77.0.1/", PortalLocalURL: "http://127.0.0.1:4000/", SessionExpiresAt: now.Add(8 * time.Hour)}

	// An existing connection at start is not announced.
	v, fx := m.OnStatus(connected)
	if v.Icon != IconConnected || len(fx.Notices) != 0 || fx.OpenURL != "" {
		t.Fatalf("start while connected: %+v %+v", v, fx)
	}
	if !strings.Contains(v.Status, "10.77.0.2/32") || !strings.Contains(v.Status, "09:00") || v.Portal != "http://127.0.0.1:4000/" {
		t.Errorf("status line: %+v", v)
	}

	// Logout, then a new login: announced, and the portal opens (the
	// loopback forward in userspace mode).
	v, fx = m.OnStatus(api.Status{State: api.StateDisconnected, EndReason: "logout"})
	if v.Icon != IconDisconnected || fx.ShowLogin || len(fx.Notices) != 1 || !strings.Contains(fx.Notices[0].Body, "연결을 끊었습니다") {
		t.Errorf("logout: %+v %+v", v, fx)
	}
	for _, s := range []api.State{api.StateAuthenticating, api.StateConnecting} {
		v, fx = m.OnStatus(api.Status{State: s})
		if v.Icon != IconConnecting || len(fx.Notices) != 0 {
			t.Errorf("%s: %+v %+v", s, v, fx)
		}
	}
	v, fx = m.OnStatus(connected)
	if len(fx.Notices) != 1 || fx.Notices[0].Title != "원격근무서비스 접속 완료" || fx.OpenURL != "http://127.0.0.1:4000/" {
		t.Errorf("connect: %+v", fx)
	}

	// Gateway lost and back: told, no portal again.
	lost := connected
	lost.State, lost.LastErrorCode = api.StateReconnecting, "gateway_unreachable"
	v, fx = m.OnStatus(lost)
	if v.Icon != IconConnecting || len(fx.Notices) != 1 || !strings.Contains(fx.Notices[0].Body, "E-401") {
		t.Errorf("reconnecting: %+v %+v", v, fx)
	}
	_, fx = m.OnStatus(connected)
	if len(fx.Notices) != 1 || fx.OpenURL != "" {
		t.Errorf("restored: %+v", fx)
	}
	// Lost again, and back through another node of the gateway: told
	// which, and that the address stayed.
	lost1 := lost
	lost1.Gateway = "https://gw1.example.go.kr:8443"
	m.OnStatus(lost1)
	moved := connected
	moved.Gateway = "https://gw2.example.go.kr:8443"
	_, fx = m.OnStatus(moved)
	if len(fx.Notices) != 1 || !strings.Contains(fx.Notices[0].Body, moved.Gateway) || !strings.Contains(fx.Notices[0].Body, moved.Address) || fx.OpenURL != "" {
		t.Errorf("moved: %+v", fx)
	}
	m.OnStatus(connected)

	// Expiry warning, once per session.
	soon := connected
	soon.ExpiringSoon = true
	_, fx = m.OnStatus(soon)
	if len(fx.Notices) != 1 || !strings.Contains(fx.Notices[0].Body, soon.SessionExpiresAt.Local().Format("15:04")) {
		t.Errorf("expiry warning: %+v", fx)
	}
	_, fx = m.OnStatus(soon)
	if len(fx.Notices) != 0 {
		t.Errorf("warned twice: %+v", fx)
	}

	// Kicked: told why, back to the login window.
	v, fx = m.OnStatus(api.Status{State: api.StateDisconnected, EndReason: "kicked", LastErrorCode: api.CodeSessionEnded})
	if v.Icon != IconDisconnected || !fx.ShowLogin || len(fx.Notices) != 1 ||
		!strings.Contains(fx.Notices[0].Body, "관리자") || !strings.Contains(fx.Notices[0].Body, "E-107") {
		t.Errorf("kicked: %+v %+v", v, fx)
	}

	// A failed login is the login window's business, not a notification.
	_, fx = m.OnStatus(api.Status{State: api.StateAuthenticating})
	_, fx2 := m.OnStatus(api.Status{State: api.StateDisconnected, LastErrorCode: api.CodeBadCredentials})
	if len(fx.Notices)+len(fx2.Notices) != 0 {
		t.Errorf("failed login notified: %+v %+v", fx, fx2)
	}

	// svpnd goes away: error icon, said once; back: the state again.
	v, fx = m.OnDaemonDown(errors.New("gone"))
	if v.Icon != IconError || len(fx.Notices) != 1 || !strings.Contains(fx.Notices[0].Body, "E-601") {
		t.Errorf("daemon down: %+v %+v", v, fx)
	}
	_, fx = m.OnDaemonDown(errors.New("gone"))
	if len(fx.Notices) != 0 {
		t.Errorf("outage announced twice: %+v", fx)
	}
	v, _ = m.OnStatus(api.Status{State: api.StateDisconnected})
	if v.Icon != IconDisconnected {
		t.Errorf("daemon back: %+v", v)
	}
}

// TestTrayModelDaemonDownAtStart: svpnd not running when the app starts is
// shown (error icon) but not announced: the login window says it.
func TestTrayModelDaemonDownAtStart(t *testing.T) {
	m := &TrayModel{}
	v, fx := m.OnDaemonDown(errors.New("no socket"))
	if v.Icon != IconError || len(fx.Notices) != 0 {
		t.Errorf("%+v %+v", v, fx)
	}
}

// TestTrayModelExpiry: the tray's status line says when the session ends
// once svpnd reports expiring_soon, and a new connection announces itself
// with the flag the tray process uses to show the connection window
// where there is no tray icon.
func TestTrayModelExpiry(t *testing.T) {
	now := time.Date(2026, 11, 22, 17, 0, 0, 0, time.Local)
	m := &TrayModel{Now: func() time.Time { return now }}
	st := api.Status{State: api.StateConnected, GatewayName: "GW", Address: "10.77.0.2/32", ConnectedAt: now.Add(-8 * time.Hour),
		SessionExpiresAt: now.Add(7 * time.Minute)}
	m.OnStatus(api.Status{State: api.StateDisconnected})
	v, fx := m.OnStatus(st)
	if !fx.NewConnection || strings.Contains(v.Status, "만료") {
		t.Errorf("new connection: %+v %+v", v, fx)
	}
	st.ExpiringSoon = true
	v, _ = m.OnStatus(st)
	if !strings.Contains(v.Status, "세션 17:07 만료") {
		t.Errorf("status line %q", v.Status)
	}
	_, fx = m.OnStatus(api.Status{State: api.StateDisconnected, EndReason: api.EndLogout})
	if !fx.Ended || fx.ShowLogin {
		t.Errorf("logout: %+v", fx)
	}
}
