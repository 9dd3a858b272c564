package ui

import "github.com/opensvpn/svpn/api"

// TransportText says how the tunnel travels and why ("TCP over HTTPS —
// UDP is blocked on this network"); "" while no tunnel is up.
func TransportText(st api.Status) string {
	var s string
	switch st.Transport {
	case api.TransportUDP:
		s = T("transport.udp")
	case api.TransportTCP:
		s = T("transport.tcp")
	default:
		return ""
	}
	switch st.TransportReason {
	case api.ReasonProfile, api.ReasonUDPWorks, api.ReasonUDPBlocked, api.ReasonUDPRestored:
		s += " — " + T("transport.reason."+st.TransportReason)
	}
	return s
}
