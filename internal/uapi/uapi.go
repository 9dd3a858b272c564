// Package uapi reads the answer of a WireGuard UAPI "get" operation
// (https://www.wireguard.com/xplatform/#configuration-protocol), what
// wireguard-go's Device.IpcGet returns: the device's lines, then for each
// peer a public_key line followed by that peer's lines, ended by a blank
// line. The client tunnel reads its gateway peer from it and the gateway
// its peers; both parse it here, once.
//
// The answer holds secrets (the device's private_key, each peer's
// preshared_key). The parser never reads them, and its errors never quote
// a line: they name the line's number and key, and quote only the values
// of the keys it reads, none of which is secret.
package uapi

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/opensvpn/svpn/wgkey"
)

// Device is what a "get" answer says, as far as SVPN reads it.
type Device struct {
	ListenPort int // 0 if the answer has none
	Peers      []Peer
}

// Peer is one peer's section.
type Peer struct {
	PublicKey wgkey.Public
	// Endpoint is where the peer's last authenticated packet came from (or
	// where it was configured to be); zero if the answer has none.
	Endpoint netip.AddrPort
	// LastHandshake is zero if the peer never completed a handshake.
	LastHandshake time.Time
	RxBytes       uint64 // received from the peer, WireGuard overhead included
	TxBytes       uint64 // sent to the peer, WireGuard overhead included
	AllowedIPs    []netip.Prefix
}

// Peer returns the peer with public key k.
func (d *Device) Peer(k wgkey.Public) (Peer, bool) {
	for _, p := range d.Peers {
		if p.PublicKey == k {
			return p, true
		}
	}
	return Peer{}, false
}

// Parse reads a "get" answer up to its blank line (or its end). Keys it
// does not read are skipped, so a newer wireguard-go does not break it; a
// line without '=', a malformed public key, or a malformed value of a key it
// reads is an error, and then the Device is zero.
func Parse(s string) (Device, error) {
	var d Device
	var p *Peer // the section being read; nil among the device's lines
	var sec, nsec int64
	flush := func() {
		if p == nil {
			return
		}
		if sec != 0 || nsec != 0 {
			p.LastHandshake = time.Unix(sec, nsec)
		}
		d.Peers = append(d.Peers, *p)
	}
	n := 0
	for line := range strings.Lines(s) {
		n++
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			break // a blank line ends the operation
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return Device{}, fmt.Errorf("uapi: line %d: no '='", n)
		}
		var err error
		if key == "public_key" {
			flush()
			p, sec, nsec = new(Peer), 0, 0
			if p.PublicKey, err = parseKey(value); err != nil {
				return Device{}, fmt.Errorf("uapi: line %d: public_key: %w", n, err)
			}
			continue
		}
		if p == nil {
			if key == "listen_port" {
				var port uint64
				port, err = strconv.ParseUint(value, 10, 16)
				d.ListenPort = int(port)
			}
			// private_key, fwmark: not read
		} else {
			switch key {
			case "endpoint":
				p.Endpoint, err = netip.ParseAddrPort(value)
			case "last_handshake_time_sec":
				sec, err = strconv.ParseInt(value, 10, 64)
			case "last_handshake_time_nsec":
				nsec, err = strconv.ParseInt(value, 10, 64)
			case "rx_bytes":
				p.RxBytes, err = strconv.ParseUint(value, 10, 64)
			case "tx_bytes":
				p.TxBytes, err = strconv.ParseUint(value, 10, 64)
			case "allowed_ip":
				var pfx netip.Prefix
				if pfx, err = netip.ParsePrefix(value); err == nil {
					p.AllowedIPs = append(p.AllowedIPs, pfx)
				}
			}
			// preshared_key, protocol_version, persistent_keepalive_interval,
			// keys of a newer wireguard-go: not read
		}
		if err != nil {
			return Device{}, fmt.Errorf("uapi: line %d: %s: %w", n, key, err)
		}
	}
	flush()
	return d, nil
}

// parseKey reads a key in UAPI's hex form. Its errors do not quote it.
func parseKey(s string) (wgkey.Public, error) {
	var k wgkey.Public
	if len(s) != hex.EncodedLen(len(k)) {
		return wgkey.Public{}, fmt.Errorf("%d hex digits, want %d", len(s), hex.EncodedLen(len(k)))
	}
	if _, err := hex.Decode(k[:], []byte(s)); err != nil {
		return wgkey.Public{}, fmt.Errorf("not hex")
	}
	return k, nil
}
