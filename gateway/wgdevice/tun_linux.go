//go:build linux

package wgdevice

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.zx2c4.com/wireguard/tun"
	"golang.zx2c4.com/wireguard/tun/netstack"
)

// tunLink is a kernel TUN interface carrying the pool's prefix, optionally
// with a masquerade rule towards the rest of the network.
type tunLink struct {
	tun tun.Device
	nat *natRule // nil without NAT
}

// openTUN creates the TUN, gives it the gateway's address (which also
// routes the pool's prefix to it) and brings it up. The interface is not
// persistent: the kernel deletes it when wireguard-go closes the TUN.
func openTUN(cfg Config) (link, error) {
	dev, err := tun.CreateTUN(cfg.TUNName, cfg.MTU)
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return nil, fmt.Errorf("wgdevice: creating TUN %q needs root or CAP_NET_ADMIN (or use netstack mode): %w", cfg.TUNName, err)
		}
		return nil, fmt.Errorf("wgdevice: creating TUN %q: %w", cfg.TUNName, err)
	}
	l := &tunLink{tun: dev}
	if err := l.configure(cfg); err != nil {
		dev.Close()
		return nil, errors.Join(err, l.Teardown())
	}
	return l, nil
}

func (l *tunLink) configure(cfg Config) error {
	name, err := l.tun.Name()
	if err != nil {
		return fmt.Errorf("wgdevice: TUN name: %w", err)
	}
	link, err := netlink.LinkByName(name)
	if err != nil {
		return fmt.Errorf("wgdevice: finding link %s: %w", name, err)
	}
	addr := &netlink.Addr{IPNet: &net.IPNet{
		IP:   cfg.Address.Addr().AsSlice(),
		Mask: net.CIDRMask(cfg.Address.Bits(), cfg.Address.Addr().BitLen()),
	}}
	if err := netlink.AddrReplace(link, addr); err != nil {
		return fmt.Errorf("wgdevice: adding address %v to %s: %w", cfg.Address, name, err)
	}
	if err := netlink.LinkSetUp(link); err != nil {
		return fmt.Errorf("wgdevice: bringing %s up: %w", name, err)
	}
	warnIfNotForwarding(cfg)
	// The MSS clamp always; the masquerade rule with NAT. Without the nft
	// command there is no clamp, which the log says; NAT then fails.
	if _, lookErr := exec.LookPath("nft"); lookErr == nil || cfg.NAT {
		if l.nat, err = addNAT(cfg.natTable, cfg.Address.Masked(), name, cfg.MTU, cfg.NAT); err != nil {
			return err
		}
		cfg.Logger.Info("nftables rules in place", "nft_table", cfg.natTable, "nat", cfg.NAT, "mss_clamp", true, "pool", cfg.Address.Masked(), "interface", name)
	} else {
		cfg.Logger.Warn("nft not installed: TCP MSS is not clamped to the tunnel MTU", "err", lookErr)
	}
	cfg.Logger.Info("TUN up", "interface", name, "address", cfg.Address, "mtu", cfg.MTU)
	return nil
}

// warnIfNotForwarding logs when the kernel will not forward the pool's
// traffic: the tunnel then reaches the gateway host only. Turning
// forwarding on changes the whole host, so it is left to the administrator.
func warnIfNotForwarding(cfg Config) {
	path := "/proc/sys/net/ipv4/ip_forward"
	if cfg.Address.Addr().Is6() {
		path = "/proc/sys/net/ipv6/conf/all/forwarding"
	}
	b, err := os.ReadFile(path)
	if err == nil && strings.TrimSpace(string(b)) == "0" {
		cfg.Logger.Warn("IP forwarding is off: clients reach only the gateway host", "sysctl", path)
	}
}

func (l *tunLink) TUN() tun.Device    { return l.tun }
func (l *tunLink) Net() *netstack.Net { return nil }

func (l *tunLink) Teardown() error {
	if l.nat == nil {
		return nil
	}
	err := l.nat.remove()
	l.nat = nil
	return err
}
