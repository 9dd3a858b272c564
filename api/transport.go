package api

// The WireGuard stream: where UDP does not get through, the tunnel's
// packets travel as frames on a TLS connection to the gateway's HTTPS port
// (package streambind). The client asks for it with an HTTP/1.1 upgrade:
//
//	GET /api/v1/tunnel/stream HTTP/1.1
//	Connection: Upgrade
//	Upgrade: svpn-wg/1
//	Authorization: Bearer <session token>
//
// and the gateway answers 101 Switching Protocols, or a refusal in JSON as
// every other call.
const (
	PathTunnelStream = "/api/v1/tunnel/stream"
	StreamUpgrade    = "svpn-wg/1"
)

// Transport is how the tunnel's WireGuard packets travel: a profile's
// choice, and what the status reports.
type Transport string

const (
	// TransportAuto (the default): UDP, and TCP when no handshake completes
	// over UDP while the gateway's API answers; back to UDP when it works.
	TransportAuto Transport = "auto"
	TransportUDP  Transport = "udp" // UDP only, as WireGuard itself
	TransportTCP  Transport = "tcp" // the stream only (UDP known to be blocked)
)

// Valid reports whether t is a transport a profile may name ("" is auto).
func (t Transport) Valid() bool {
	switch t {
	case "", TransportAuto, TransportUDP, TransportTCP:
		return true
	}
	return false
}

// Why the tunnel is on its transport (Status.TransportReason).
const (
	ReasonProfile     = "profile"      // the profile names the transport
	ReasonUDPWorks    = "udp_works"    // auto: the UDP handshake completed
	ReasonUDPBlocked  = "udp_blocked"  // auto: no UDP handshake while the API answered
	ReasonUDPRestored = "udp_restored" // auto: UDP answered a probe again
)
