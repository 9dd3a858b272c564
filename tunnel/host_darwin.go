//go:build darwin

package tunnel

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"

	"golang.zx2c4.com/wireguard/tun"

	"github.com/opensvpn/svpn/api"
)

// darwinHost drives macOS with the commands its administrators know
// (ifconfig, route, scutil), as wg-quick does, so what it did can be read
// and undone by hand. It is compiled and reviewed here but, lacking a Mac,
// not run by the tests.
type darwinHost struct {
	log *slog.Logger
}

func newHost(log *slog.Logger) (host, error) { return &darwinHost{log: log}, nil }

func (h *darwinHost) close() error { return nil }

// createTUN creates a utun interface. The kernel names those (utun0,
// utun1, …); the name asked for is used only if it is one of them.
func (h *darwinHost) createTUN(name string, mtu int) (tun.Device, string, error) {
	if !strings.HasPrefix(name, "utun") {
		name = "utun"
	}
	dev, err := tun.CreateTUN(name, mtu)
	switch {
	case err == nil:
	case errors.Is(err, os.ErrPermission):
		return nil, "", api.Errorf(api.CodeTunnelNoPrivileges,
			"tunnel: creating a utun interface needs root: connect through the SVPN service (svpnd) or use svpnd --userspace: %w", err)
	default:
		return nil, "", api.Errorf(api.CodeTunnelDevice, "tunnel: creating a utun interface: %w", err)
	}
	got, err := dev.Name()
	if err != nil {
		dev.Close()
		return nil, "", api.Errorf(api.CodeTunnelDevice, "tunnel: utun name: %w", err)
	}
	return dev, got, nil
}

// addAddress sets the address the way wg-quick does on macOS: utun is a
// point-to-point interface, so an IPv4 address needs a destination, itself.
func (h *darwinHost) addAddress(ifname string, addr netip.Prefix) error {
	var err error
	if addr.Addr().Is4() {
		_, err = run("", "ifconfig", ifname, "inet", addr.String(), addr.Addr().String(), "alias")
	} else {
		_, err = run("", "ifconfig", ifname, "inet6", addr.String(), "alias")
	}
	if err == nil {
		_, err = run("", "ifconfig", ifname, "up")
	}
	if err != nil {
		return api.Errorf(api.CodeTunnelDevice, "tunnel: setting address %v on %s: %w", addr, ifname, err)
	}
	return nil
}

func family(a netip.Addr) string {
	if a.Is4() {
		return "-inet"
	}
	return "-inet6"
}

// routeTo asks `route get`; when the answer is the tunnel itself, the
// default route is what the endpoint used before the tunnel came up.
func (h *darwinHost) routeTo(dst netip.Addr, avoid string) (route, error) {
	r, err := routeGet(family(dst), dst.String())
	if err == nil && r.Interface == avoid {
		r, err = routeGet(family(dst), "default")
	}
	if err != nil {
		return route{}, err
	}
	if r.Interface == "" || r.Interface == avoid {
		return route{}, fmt.Errorf("no route to %v outside %s", dst, avoid)
	}
	return r, nil
}

// routeGet parses `route -n get`: "gateway: 192.168.0.1" and
// "interface: en0" lines.
func routeGet(fam, dst string) (route, error) {
	out, err := run("", "route", "-n", "get", fam, dst)
	if err != nil {
		return route{}, err
	}
	var r route
	for line := range strings.Lines(out) {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		switch v = strings.TrimSpace(v); k {
		case "gateway":
			if a, err := netip.ParseAddr(v); err == nil {
				r.Gateway = a
			}
		case "interface":
			r.Interface = v
		}
	}
	return r, nil
}

func routeArgs(op string, r route) []string {
	args := []string{"-q", "-n", op, family(r.Dst.Addr()), r.Dst.String()}
	if r.Gateway.IsValid() {
		return append(args, r.Gateway.String())
	}
	return append(args, "-interface", r.Interface)
}

func (h *darwinHost) addRoute(r route) error {
	_, err := run("", "route", routeArgs("add", r)...)
	if err != nil && strings.Contains(err.Error(), "File exists") {
		return fmt.Errorf("%v: %w", r.Dst, errRouteExists)
	}
	if err != nil {
		return api.Errorf(api.CodeTunnelDevice, "tunnel: adding route %v: %w", r.Dst, err)
	}
	return nil
}

func (h *darwinHost) delRoute(r route) error {
	if !r.Gateway.IsValid() {
		if _, err := net.InterfaceByName(r.Interface); err != nil {
			return nil // the interface went, and its routes with it
		}
	}
	_, err := run("", "route", routeArgs("delete", r)...)
	if err != nil && !strings.Contains(err.Error(), "not in table") {
		return api.Errorf(api.CodeTunnelDevice, "tunnel: removing route %v: %w", r.Dst, err)
	}
	return nil
}

// removeLink has nothing to do: a utun interface exists only while a
// process holds it open, and cannot be destroyed from outside.
func (h *darwinHost) removeLink(ifname string) error {
	if _, err := net.InterfaceByName(ifname); err == nil {
		h.log.Warn("interface still held by another process; it goes when that process does", "interface", ifname)
	}
	return nil
}

// scutilKey is where the tunnel's resolver settings live in the dynamic
// store: a service of its own that configd merges into the system's DNS
// configuration and drops when the key is removed.
func scutilKey(ifname string) string { return "State:/Network/Service/SVPN-" + ifname + "/DNS" }

func (h *darwinHost) planDNS(ifname, stateDir string, cfg Config) (dnsState, error) {
	if len(cfg.DNS) == 0 && len(cfg.SearchDomains) == 0 {
		return dnsState{Method: dnsNone}, nil
	}
	return dnsState{Method: dnsScutil, Interface: ifname, Key: scutilKey(ifname)}, nil
}

// setDNS sets the servers for the search domains only
// (SupplementalMatchDomains): the rest of the machine's lookups stay with
// its own resolvers. Without search domains the servers are only added.
func (h *darwinHost) setDNS(st dnsState, servers []netip.Addr, domains []string) error {
	var b strings.Builder
	b.WriteString("d.init\n")
	if len(servers) > 0 {
		b.WriteString("d.add ServerAddresses *")
		for _, s := range servers {
			b.WriteString(" " + s.String())
		}
		b.WriteString("\n")
	}
	if len(domains) > 0 {
		// Domains were checked by Config: letters, digits, '-', '_', '.'.
		fmt.Fprintf(&b, "d.add SearchDomains * %s\n", strings.Join(domains, " "))
		fmt.Fprintf(&b, "d.add SupplementalMatchDomains * %s\n", strings.Join(domains, " "))
	}
	fmt.Fprintf(&b, "d.add InterfaceName %s\nset %s\nquit\n", st.Interface, st.Key)
	if _, err := run(b.String(), "scutil"); err != nil {
		return api.Errorf(api.CodeTunnelDNS, "tunnel: setting DNS with scutil: %w", err)
	}
	return nil
}

func (h *darwinHost) revertDNS(st dnsState) error {
	if st.Method != dnsScutil || st.Key == "" {
		return nil
	}
	if _, err := run("remove "+st.Key+"\nquit\n", "scutil"); err != nil {
		return api.Errorf(api.CodeTunnelDNS, "tunnel: removing DNS settings with scutil: %w", err)
	}
	return nil
}
