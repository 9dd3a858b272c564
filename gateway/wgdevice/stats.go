package wgdevice

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/opensvpn/svpn/internal/uapi"
	"github.com/opensvpn/svpn/wgkey"
)

// PeerStats is what the device knows about one peer, as `wg show` would
// print it.
type PeerStats struct {
	PublicKey wgkey.Public
	// Endpoint is where the peer's last authenticated packet came from;
	// zero until it has completed a handshake.
	Endpoint netip.AddrPort
	// LastHandshake is zero if the peer never completed a handshake.
	LastHandshake time.Time
	RxBytes       uint64 // bytes received from the peer, WireGuard overhead included
	TxBytes       uint64 // bytes sent to the peer, WireGuard overhead included
	AllowedIP     netip.Prefix
}

// Peers returns the current peers, in no particular order.
func (d *Device) Peers() ([]PeerStats, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return nil, ErrClosed
	}
	get, err := d.wg.IpcGet()
	if err != nil {
		return nil, fmt.Errorf("wgdevice: reading peers: %w", err)
	}
	_, peers, err := parseUAPI(get)
	return peers, err
}

// parseUAPI reads the device's listen port and its peers from the answer
// of a UAPI "get" operation (internal/uapi parses it, as it does for the
// client tunnel). A peer with several allowed IPs reports the first.
func parseUAPI(get string) (listenPort int, peers []PeerStats, err error) {
	d, err := uapi.Parse(get)
	if err != nil {
		return 0, nil, fmt.Errorf("wgdevice: %w", err)
	}
	for _, p := range d.Peers {
		ps := PeerStats{PublicKey: p.PublicKey, Endpoint: p.Endpoint, LastHandshake: p.LastHandshake, RxBytes: p.RxBytes, TxBytes: p.TxBytes}
		if len(p.AllowedIPs) > 0 {
			ps.AllowedIP = p.AllowedIPs[0]
		}
		peers = append(peers, ps)
	}
	return d.ListenPort, peers, nil
}
