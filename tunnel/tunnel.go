// Package tunnel is the client side of the SVPN tunnel, as svpnd runs it: a
// wireguard-go device with the gateway as its only peer, carrying the
// prefixes the gateway pushed (a split tunnel) and nothing else.
//
// It comes in two forms behind one interface, Tunnel:
//
//   - Userspace runs the tunnel network inside the process on gVisor's
//     netstack. It needs no privileges and changes nothing on the machine;
//     applications reach it through the loopback proxies of package
//     tunnel/proxy, which dial with Userspace.DialContext.
//   - OSTunnel puts the tunnel on a kernel interface (Linux TUN, macOS utun,
//     Windows Wintun) with the address, routes and DNS servers set the way
//     each OS wants. What it changes is written to a state file first, so
//     Recover can undo a crashed run and a SIGKILL leaves nothing behind
//     once the service restarts.
//
// The platform code lives in host_linux.go, host_darwin.go and
// host_windows.go behind the small host interface; the sequencing, the
// bookkeeping and the decisions (which routes, whether the endpoint needs a
// host route of its own) are shared and tested on Linux.
package tunnel

import (
	"net/netip"
	"time"
)

// Stats is what the tunnel knows about its gateway, as `wg show` prints it.
type Stats struct {
	// LastHandshake is zero until a handshake with the gateway completed.
	// WireGuard renews it every two minutes while traffic flows, so one
	// older than about three minutes means the gateway is not answering.
	LastHandshake time.Time
	RxBytes       uint64 // received from the gateway, WireGuard overhead included
	TxBytes       uint64 // sent to the gateway, WireGuard overhead included
	Endpoint      string // where packets to the gateway go now
}

// A Tunnel is an established tunnel to the gateway. Its methods are safe for
// concurrent use.
type Tunnel interface {
	// Stats reports the state of the gateway peer.
	Stats() (Stats, error)
	// UpdateEndpoint re-points the peer (network change / gateway moved)
	// without tearing down: sessions inside the tunnel survive.
	UpdateEndpoint(netip.AddrPort) error
	// Close removes everything it added: routes, addresses, DNS, the
	// device. Calling it again does nothing.
	Close() error
}

var (
	_ Tunnel = (*Userspace)(nil)
	_ Tunnel = (*OSTunnel)(nil)
)
