package streambind

import (
	"net"
	"net/netip"

	"golang.zx2c4.com/wireguard/conn"
)

// streamEndpoint is where a packet that came on a stream came from. On the
// gateway each stream has its own, and the device's reply to it goes back
// on that stream. It prints as the stream's remote TCP address, so the
// UAPI (and wg show) shows where the peer is.
type streamEndpoint struct {
	remote netip.AddrPort
	s      *stream // nil on the client's placeholder
}

var _ conn.Endpoint = (*streamEndpoint)(nil)

// streamEP is the client's endpoint for stream packets before the device
// sent anything over UDP (it never does in practice).
var streamEP = &streamEndpoint{}

func newStreamEndpoint(c net.Conn, s *stream) *streamEndpoint {
	ep := &streamEndpoint{s: s}
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		ep.remote = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return ep
}

func (e *streamEndpoint) ClearSrc()           {}
func (e *streamEndpoint) SrcToString() string { return "" }
func (e *streamEndpoint) DstToString() string {
	if !e.remote.IsValid() {
		return "0.0.0.0:0"
	}
	return e.remote.String()
}
func (e *streamEndpoint) DstToBytes() []byte {
	b, _ := e.remote.MarshalBinary()
	return b
}
func (e *streamEndpoint) DstIP() netip.Addr { return e.remote.Addr() }
func (e *streamEndpoint) SrcIP() netip.Addr { return netip.Addr{} }
