package wgdevice

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"

	"github.com/opensvpn/svpn/wgkey"
)

// Mode selects the host side of the device: where decrypted packets go.
type Mode string

const (
	// ModeNetstack runs the tunnel network inside the process on gVisor's
	// netstack. It needs no privileges, so the demo and the tests use it;
	// the gateway reaches the tunnel only through Device.Net.
	ModeNetstack Mode = "netstack"
	// ModeTUN puts the tunnel on a kernel TUN interface (Linux only), so
	// clients reach the internal network through the host's routing.
	ModeTUN Mode = "tun"
)

// Defaults applied by New to a zero field.
const (
	DefaultMTU     = 1420 // what wg-quick uses: 1500 minus the IPv6+UDP+WireGuard overhead
	DefaultTUNName = "svpn0"
	// defaultNATTable is the nftables table that holds the masquerade rule.
	defaultNATTable = "svpn"
)

// Config is the configuration of a Device.
type Config struct {
	Mode       Mode
	PrivateKey wgkey.Private
	// ListenPort is the UDP port WireGuard listens on, on every address of
	// the host (as wg does). 0 picks a free port; Device.ListenPort reports it.
	ListenPort int
	// Address is the gateway's own tunnel address, and its prefix is the
	// pool clients get their /32 from, e.g. 10.77.0.1/24.
	Address netip.Prefix
	MTU     int    // default DefaultMTU
	TUNName string // tun mode; default DefaultTUNName
	// NAT, in tun mode, masquerades traffic from the pool as it leaves the
	// host through any other interface, so the internal network needs no
	// route back to the pool. It runs the nft command (package nftables)
	// and keeps its rule in the table "svpn", which Close removes. IP
	// forwarding (net.ipv4.ip_forward) is the administrator's to enable.
	// In tun mode that table also clamps the TCP MSS of forwarded
	// connections to the tunnel's MTU, NAT or not (when nft is installed).
	NAT bool
	// MaxStreams bounds the TCP streams carrying the tunnel for clients
	// whose UDP is blocked (default 10000).
	MaxStreams int
	Logger     *slog.Logger // nil discards

	// natTable overrides defaultNATTable so root tests cannot clobber the
	// table of a gateway running on the same host.
	natTable string
}

// withDefaults checks c and fills in its defaults.
func (c Config) withDefaults() (Config, error) {
	switch c.Mode {
	case ModeNetstack, ModeTUN:
	default:
		return c, fmt.Errorf("wgdevice: unknown mode %q: want %q or %q", c.Mode, ModeNetstack, ModeTUN)
	}
	if c.PrivateKey.IsZero() {
		return c, errors.New("wgdevice: no private key")
	}
	if c.ListenPort < 0 || c.ListenPort > 65535 {
		return c, fmt.Errorf("wgdevice: listen port %d out of range", c.ListenPort)
	}
	if !c.Address.IsValid() || c.Address.Addr().Zone() != "" {
		return c, fmt.Errorf("wgdevice: invalid tunnel address %v", c.Address)
	}
	if c.Address.Addr() == c.Address.Masked().Addr() || c.Address.IsSingleIP() {
		return c, fmt.Errorf("wgdevice: tunnel address %v must be a host address inside a pool prefix, e.g. 10.77.0.1/24", c.Address)
	}
	if c.MTU == 0 {
		c.MTU = DefaultMTU
	}
	// 1280 is the least IPv6 allows; 65535 the most a TUN takes.
	if c.MTU < 1280 || c.MTU > 65535 {
		return c, fmt.Errorf("wgdevice: MTU %d out of range 1280–65535", c.MTU)
	}
	if c.TUNName == "" {
		c.TUNName = DefaultTUNName
	}
	if c.natTable == "" {
		c.natTable = defaultNATTable
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}
