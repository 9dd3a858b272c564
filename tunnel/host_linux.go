//go:build linux

package tunnel

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"os"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
	"golang.zx2c4.com/wireguard/tun"

	"github.com/opensvpn/svpn/api"
)

// tunClonePath is the device every Linux TUN is created through.
const tunClonePath = "/dev/net/tun"

// linuxHost configures the kernel over its own rtnetlink socket (no `ip`
// commands, and no state shared with other users of the netlink package)
// and DNS over D-Bus or /etc/resolv.conf. It works in whatever network
// namespace the process is in, which is what the tests rely on.
type linuxHost struct {
	nl         *netlink.Handle
	log        *slog.Logger
	resolvConf string // /etc/resolv.conf; a field so tests can point elsewhere
}

func newHost(log *slog.Logger) (host, error) {
	nl, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, api.Errorf(api.CodeTunnelDevice, "tunnel: opening a netlink socket: %w", err)
	}
	return &linuxHost{nl: nl, log: log, resolvConf: "/etc/resolv.conf"}, nil
}

func (h *linuxHost) close() error {
	h.nl.Close()
	return nil
}

// createTUN creates a non-persistent TUN: the kernel deletes it, with its
// addresses and routes, when the file descriptor closes, which includes the
// process being killed.
func (h *linuxHost) createTUN(name string, mtu int) (tun.Device, string, error) {
	if _, err := os.Stat(tunClonePath); errors.Is(err, fs.ErrNotExist) {
		return nil, "", api.Errorf(api.CodeTunnelTUNMissing, "tunnel: %s does not exist: load the tun module (modprobe tun) or use svpnd --userspace", tunClonePath)
	}
	dev, err := tun.CreateTUN(name, mtu)
	switch {
	case err == nil:
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES):
		return nil, "", api.Errorf(api.CodeTunnelNoPrivileges,
			"tunnel: creating TUN %s needs root or CAP_NET_ADMIN: connect through the SVPN service (svpnd) or use svpnd --userspace: %w", name, err)
	case errors.Is(err, unix.ENODEV), errors.Is(err, unix.ENXIO):
		return nil, "", api.Errorf(api.CodeTunnelTUNMissing, "tunnel: the kernel has no TUN driver (modprobe tun) or use svpnd --userspace: %w", err)
	case errors.Is(err, unix.EBUSY):
		return nil, "", api.Errorf(api.CodeTunnelDevice, "tunnel: interface %s is in use by another process: %w", name, err)
	default:
		return nil, "", api.Errorf(api.CodeTunnelDevice, "tunnel: creating TUN %s: %w", name, err)
	}
	got, err := dev.Name()
	if err != nil {
		dev.Close()
		return nil, "", api.Errorf(api.CodeTunnelDevice, "tunnel: TUN name: %w", err)
	}
	return dev, got, nil
}

func (h *linuxHost) addAddress(ifname string, addr netip.Prefix) error {
	link, err := h.nl.LinkByName(ifname)
	if err != nil {
		return api.Errorf(api.CodeTunnelDevice, "tunnel: finding interface %s: %w", ifname, err)
	}
	a := &netlink.Addr{IPNet: ipNet(addr)}
	if addr.Addr().Is6() {
		// A tunnel has no neighbours to collide with; without this the
		// address is unusable for a second or two of duplicate detection.
		a.Flags = unix.IFA_F_NODAD
	}
	if err := h.nl.AddrAdd(link, a); err != nil {
		return privErr(err, "tunnel: adding address %v to %s: %w", addr, ifname, err)
	}
	if err := h.nl.LinkSetUp(link); err != nil {
		return privErr(err, "tunnel: bringing %s up: %w", ifname, err)
	}
	return nil
}

func (h *linuxHost) routeTo(dst netip.Addr, avoid string) (route, error) {
	avoidIdx := -1
	if link, err := h.nl.LinkByName(avoid); err == nil {
		avoidIdx = link.Attrs().Index
	}
	rs, err := h.nl.RouteGet(dst.AsSlice())
	if err != nil {
		return route{}, fmt.Errorf("looking up the route to %v: %w", dst, err)
	}
	var best *netlink.Route
	if len(rs) > 0 && rs[0].LinkIndex != avoidIdx {
		best = &rs[0]
	} else {
		// The kernel's answer is the tunnel: find what the main table has
		// besides it, longest prefix first, then lowest metric.
		family := unix.AF_INET
		if dst.Is6() {
			family = unix.AF_INET6
		}
		all, err := h.nl.RouteListFiltered(family, &netlink.Route{Table: unix.RT_TABLE_MAIN}, netlink.RT_FILTER_TABLE)
		if err != nil {
			return route{}, fmt.Errorf("listing routes: %w", err)
		}
		bestBits := -1
		for i := range all {
			r := &all[i]
			if r.LinkIndex == avoidIdx || r.LinkIndex == 0 || r.Type != unix.RTN_UNICAST {
				continue
			}
			bits := 0
			if r.Dst != nil {
				p, ok := prefixOf(r.Dst)
				if !ok || !p.Contains(dst) {
					continue
				}
				bits = p.Bits()
			}
			if bits > bestBits || (bits == bestBits && r.Priority < best.Priority) {
				best, bestBits = r, bits
			}
		}
		if best == nil {
			return route{}, fmt.Errorf("no route to %v outside %s", dst, avoid)
		}
	}
	link, err := h.nl.LinkByIndex(best.LinkIndex)
	if err != nil {
		return route{}, fmt.Errorf("interface %d of the route to %v: %w", best.LinkIndex, dst, err)
	}
	r := route{Interface: link.Attrs().Name}
	if gw, ok := netip.AddrFromSlice(best.Gw); ok {
		r.Gateway = gw.Unmap()
	}
	return r, nil
}

func (h *linuxHost) addRoute(r route) error {
	nr, err := h.netlinkRoute(r)
	if err != nil {
		return err
	}
	if nr == nil {
		return api.Errorf(api.CodeTunnelDevice, "tunnel: adding route %v: interface %s is gone", r.Dst, r.Interface)
	}
	if err := h.nl.RouteAdd(nr); errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("%v via %s: %w", r.Dst, r.Interface, errRouteExists)
	} else if err != nil {
		return privErr(err, "tunnel: adding route %v via %s: %w", r.Dst, r.Interface, err)
	}
	return nil
}

func (h *linuxHost) delRoute(r route) error {
	nr, err := h.netlinkRoute(r)
	if err != nil || nr == nil {
		return err
	}
	if err := h.nl.RouteDel(nr); err != nil && !errors.Is(err, unix.ESRCH) && !errors.Is(err, unix.ENODEV) {
		return privErr(err, "tunnel: removing route %v via %s: %w", r.Dst, r.Interface, err)
	}
	return nil
}

// netlinkRoute spells r for netlink; nil if its interface does not exist
// (any route through it went with it).
func (h *linuxHost) netlinkRoute(r route) (*netlink.Route, error) {
	link, err := h.nl.LinkByName(r.Interface)
	if _, ok := err.(netlink.LinkNotFoundError); ok {
		return nil, nil
	}
	if err != nil {
		return nil, api.Errorf(api.CodeTunnelDevice, "tunnel: finding interface %s: %w", r.Interface, err)
	}
	nr := &netlink.Route{LinkIndex: link.Attrs().Index, Dst: ipNet(r.Dst), Scope: netlink.SCOPE_LINK}
	if r.Gateway.IsValid() {
		nr.Gw, nr.Scope = r.Gateway.AsSlice(), netlink.SCOPE_UNIVERSE
	}
	return nr, nil
}

func (h *linuxHost) removeLink(ifname string) error {
	link, err := h.nl.LinkByName(ifname)
	if _, ok := err.(netlink.LinkNotFoundError); ok {
		return nil
	}
	if err != nil {
		return api.Errorf(api.CodeTunnelDevice, "tunnel: finding interface %s: %w", ifname, err)
	}
	if link.Type() != "tuntap" {
		// Same name, but not a TUN: not something a tunnel made.
		h.log.Warn("not removing interface: it is not a TUN", "interface", ifname, "type", link.Type())
		return nil
	}
	if err := h.nl.LinkDel(link); err != nil {
		return privErr(err, "tunnel: deleting interface %s: %w", ifname, err)
	}
	h.log.Info("removed leftover interface", "interface", ifname)
	return nil
}

// privErr is api.Errorf with code tunnel_no_privileges when cause is a
// permission error, tunnel_device otherwise.
func privErr(cause error, format string, args ...any) error {
	if errors.Is(cause, unix.EPERM) || errors.Is(cause, unix.EACCES) {
		return api.Errorf(api.CodeTunnelNoPrivileges, format, args...)
	}
	return api.Errorf(api.CodeTunnelDevice, format, args...)
}

func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

func prefixOf(n *net.IPNet) (netip.Prefix, bool) {
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(a.Unmap(), ones), true
}
