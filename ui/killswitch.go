package ui

import (
	"time"

	"github.com/opensvpn/svpn/api"
)

// KillSwitchText is the tray's word on the kill switch: "" while it is
// off; otherwise on, with the end of a captive-portal exemption that is
// open (the only time traffic passes outside the tunnel).
func KillSwitchText(st api.Status, now time.Time) string {
	if !st.KillSwitch {
		return ""
	}
	s := T("killswitch.on")
	if st.CaptiveExemptUntil.After(now) {
		s += " (" + Tf("killswitch.exempt_until", map[string]any{"Until": formatTime(st.CaptiveExemptUntil, now)}) + ")"
	}
	return s
}

// killSwitchDiag is the diagnostics' row: on or off, and an open
// exemption's end.
func killSwitchDiag(st api.Status, now time.Time) string {
	if !st.KillSwitch {
		return T("diag.kill_switch_off")
	}
	s := T("diag.kill_switch_on")
	if st.CaptiveExemptUntil.After(now) {
		s += " (" + Tf("killswitch.exempt_until", map[string]any{"Until": formatTime(st.CaptiveExemptUntil, now)}) + ")"
	}
	return s
}
