package wgdevice

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

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
	uapi, err := d.wg.IpcGet()
	if err != nil {
		return nil, fmt.Errorf("wgdevice: reading peers: %w", err)
	}
	_, peers, err := parseUAPI(uapi)
	return peers, err
}

// parseUAPI parses the output of a UAPI "get" operation
// (https://www.wireguard.com/xplatform/#configuration-protocol): device
// lines, then for each peer a public_key line followed by its own lines.
// Keys it does not need are skipped, so a newer wireguard-go does not break
// it. A peer with several allowed IPs reports the first.
func parseUAPI(s string) (listenPort int, peers []PeerStats, err error) {
	var p *PeerStats
	var sec, nsec int64
	flush := func() {
		if p == nil {
			return
		}
		if sec != 0 || nsec != 0 {
			p.LastHandshake = time.Unix(sec, nsec)
		}
		peers = append(peers, *p)
	}
	for line := range strings.Lines(s) {
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			break // a blank line ends the operation
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return 0, nil, fmt.Errorf("wgdevice: UAPI: malformed line %q", line)
		}
		if key == "public_key" {
			flush()
			p, sec, nsec = new(PeerStats), 0, 0
			if p.PublicKey, err = parseHexKey(value); err != nil {
				return 0, nil, err
			}
			continue
		}
		if p == nil {
			if key == "listen_port" {
				if listenPort, err = parseUint(key, value, 16); err != nil {
					return 0, nil, err
				}
			}
			continue // private_key, fwmark: not ours to read back
		}
		switch key {
		case "endpoint":
			if p.Endpoint, err = netip.ParseAddrPort(value); err != nil {
				return 0, nil, fmt.Errorf("wgdevice: UAPI: endpoint: %w", err)
			}
		case "last_handshake_time_sec":
			sec, err = parseInt(key, value)
		case "last_handshake_time_nsec":
			nsec, err = parseInt(key, value)
		case "rx_bytes":
			p.RxBytes, err = parseUint64(key, value)
		case "tx_bytes":
			p.TxBytes, err = parseUint64(key, value)
		case "allowed_ip":
			var pfx netip.Prefix
			if pfx, err = netip.ParsePrefix(value); err != nil {
				err = fmt.Errorf("wgdevice: UAPI: allowed_ip: %w", err)
			} else if !p.AllowedIP.IsValid() {
				p.AllowedIP = pfx
			}
		}
		if err != nil {
			return 0, nil, err
		}
	}
	flush()
	return listenPort, peers, nil
}

func parseHexKey(s string) (wgkey.Public, error) {
	var k wgkey.Public
	if len(s) != 2*len(k) {
		return k, fmt.Errorf("wgdevice: UAPI: key of %d hex digits, want %d", len(s), 2*len(k))
	}
	if _, err := hex.Decode(k[:], []byte(s)); err != nil {
		return wgkey.Public{}, fmt.Errorf("wgdevice: UAPI: malformed key")
	}
	return k, nil
}

func parseInt(key, value string) (int64, error) {
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("wgdevice: UAPI: %s: %w", key, err)
	}
	return n, nil
}

func parseUint64(key, value string) (uint64, error) {
	n, err := strconv.ParseUint(value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("wgdevice: UAPI: %s: %w", key, err)
	}
	return n, nil
}

func parseUint(key, value string, bits int) (int, error) {
	n, err := strconv.ParseUint(value, 10, bits)
	if err != nil {
		return 0, fmt.Errorf("wgdevice: UAPI: %s: %w", key, err)
	}
	return int(n), nil
}
