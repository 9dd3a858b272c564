package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
)

// TestTrayShowsKillSwitch: the tray's status line says the kill switch is
// on in every state (it stays after the session ends), with the end of an
// open captive-portal exemption; nothing when it is off or the exemption
// has lapsed. The diagnostics have a row for it either way.
func TestTrayShowsKillSwitch(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.Local)
	m := &TrayModel{Now: func() time.Time { return now }}
	conn := api.Status{State: api.StateConnected, GatewayName: "원격근무서비스", Address: "10.77.0.2/32", ConnectedAt: now, KillSwitch: true}

	v, _ := m.OnStatus(conn)
	if !strings.HasSuffix(v.Status, " · 항상 연결 보호: 켜짐") {
		t.Errorf("connected with the kill switch: %q", v.Status)
	}
	off := conn
	off.KillSwitch = false
	if v, _ = m.OnStatus(off); strings.Contains(v.Status, "항상 연결") {
		t.Errorf("kill switch off: %q", v.Status)
	}
	// Disconnected, the kill switch kept, an exemption open until 09:15.
	kept := api.Status{State: api.StateDisconnected, KillSwitch: true, CaptiveExemptUntil: now.Add(15 * time.Minute)}
	v, _ = m.OnStatus(kept)
	if !strings.Contains(v.Status, "항상 연결 보호: 켜짐 (네트워크 로그인 예외 09:15까지)") {
		t.Errorf("kept with an exemption: %q", v.Status)
	}
	lapsed := kept
	lapsed.CaptiveExemptUntil = now.Add(-time.Minute)
	if v, _ = m.OnStatus(lapsed); !strings.HasSuffix(v.Status, "항상 연결 보호: 켜짐") {
		t.Errorf("lapsed exemption: %q", v.Status)
	}
	withLanguage(t, English, func() {
		if s := KillSwitchText(kept, now); s != "Always-on protection: on (network sign-in exemption until 09:15)" {
			t.Errorf("English: %q", s)
		}
	})

	row := func(st api.Status) string {
		for _, sec := range buildReport(&api.Diagnostics{Status: st}, nil, reportFacts{Now: now}) {
			for _, r := range sec.Rows {
				if r[0] == "항상 연결 보호" {
					return r[1]
				}
			}
		}
		return "(no row)"
	}
	if got := row(off); got != "꺼짐" {
		t.Errorf("diagnostics, off: %q", got)
	}
	if got := row(kept); got != "켜짐 (네트워크 로그인 예외 09:15까지)" {
		t.Errorf("diagnostics, kept with an exemption: %q", got)
	}
}
