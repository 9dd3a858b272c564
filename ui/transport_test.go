package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
)

// TestTransportShown: the tray's status line says when the tunnel runs over
// HTTPS, and the diagnostics line says how and why.
func TestTransportShown(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.Local)
	m := &TrayModel{Now: func() time.Time { return now }}
	st := api.Status{State: api.StateConnected, Address: "10.77.0.2/32", ConnectedAt: now, Transport: api.TransportTCP, TransportReason: api.ReasonUDPBlocked}
	v, _ := m.OnStatus(st)
	if !strings.Contains(v.Status, T("tray.via_tcp")) {
		t.Errorf("tray on tcp: %q", v.Status)
	}
	if got := TransportText(st); !strings.Contains(got, T("transport.tcp")) || !strings.Contains(got, T("transport.reason.udp_blocked")) {
		t.Errorf("diagnostics on tcp: %q", got)
	}
	st.Transport, st.TransportReason = api.TransportUDP, api.ReasonUDPRestored
	if v, _ = m.OnStatus(st); strings.Contains(v.Status, T("tray.via_tcp")) {
		t.Errorf("tray on udp: %q", v.Status)
	}
	if got := TransportText(st); !strings.Contains(got, T("transport.udp")) || !strings.Contains(got, T("transport.reason.udp_restored")) {
		t.Errorf("diagnostics on udp: %q", got)
	}
	if got := TransportText(api.Status{State: api.StateDisconnected}); got != "" {
		t.Errorf("no tunnel: %q", got)
	}
}
