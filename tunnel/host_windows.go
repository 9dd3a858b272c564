//go:build windows

package tunnel

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.zx2c4.com/wireguard/tun"

	"github.com/opensvpn/svpn/api"
)

// windowsHost configures Windows through the IP Helper API (addresses,
// routes, per-interface DNS), as wireguard-windows does, on a Wintun
// adapter. It compiles here and was reviewed against the API documentation,
// but no test runs it: that needs Windows, the Wintun driver and SYSTEM.
//
// The adapter's lifetime is tied to the process that created it (Wintun
// 0.14 and later), so addresses, on-link routes and DNS settings on it go
// away with it, also when the service is killed. What outlives a crash is
// the endpoint's host route on the physical interface, which Recover
// removes.
type windowsHost struct {
	log *slog.Logger
	ip  *iphlpapi
}

func newHost(log *slog.Logger) (host, error) {
	return &windowsHost{log: log, ip: loadIphlpapi()}, nil
}

func (h *windowsHost) close() error { return nil }

func (h *windowsHost) createTUN(name string, mtu int) (tun.Device, string, error) {
	dev, err := tun.CreateTUN(name, mtu)
	switch {
	case err == nil:
	case errors.Is(err, windows.ERROR_ACCESS_DENIED):
		return nil, "", api.Errorf(api.CodeTunnelNoPrivileges,
			"tunnel: creating the Wintun adapter needs administrator rights: connect through the SVPN service (svpnd) or use svpnd --userspace: %w", err)
	case errors.Is(err, windows.ERROR_MOD_NOT_FOUND), errors.Is(err, windows.ERROR_FILE_NOT_FOUND),
		strings.Contains(err.Error(), "wintun"):
		return nil, "", api.Errorf(api.CodeTunnelTUNMissing,
			"tunnel: wintun.dll or its driver is missing: reinstall SVPN (it ships wintun.dll next to svpnd.exe) or use svpnd --userspace: %w", err)
	default:
		return nil, "", api.Errorf(api.CodeTunnelDevice, "tunnel: creating the Wintun adapter %s: %w", name, err)
	}
	got, err := dev.Name()
	if err != nil {
		dev.Close()
		return nil, "", api.Errorf(api.CodeTunnelDevice, "tunnel: adapter name: %w", err)
	}
	// Windows does not learn the MTU from Wintun; without it, it would
	// send 1500-byte packets into a 1420-byte tunnel.
	if nt, ok := dev.(*tun.NativeTun); ok {
		for _, fam := range []uint16{windows.AF_INET, windows.AF_INET6} {
			row := windows.MibIpInterfaceRow{Family: fam, InterfaceLuid: nt.LUID()}
			if windows.GetIpInterfaceEntry(&row) != nil {
				continue // the family is not enabled on the adapter
			}
			row.NlMtu = uint32(mtu)
			if fam == windows.AF_INET {
				row.SitePrefixLength = 0 // SetIpInterfaceEntry rejects anything else for IPv4
			}
			if err := h.ip.setIpInterfaceEntry.Find(); err == nil {
				r, _, _ := h.ip.setIpInterfaceEntry.Call(uintptr(unsafe.Pointer(&row)))
				if err := netioErr(r); err != nil {
					h.log.Warn("could not set the adapter MTU", "family", fam, "mtu", mtu, "err", err)
				}
			}
		}
	}
	return dev, got, nil
}

func (h *windowsHost) addAddress(ifname string, addr netip.Prefix) error {
	luid, err := h.ip.luidOf(ifname)
	if err != nil {
		return api.Errorf(api.CodeTunnelDevice, "tunnel: finding adapter %s: %w", ifname, err)
	}
	if err := h.ip.initializeUnicastIpAddressEntry.Find(); err != nil {
		return api.Errorf(api.CodeTunnelDevice, "tunnel: IP Helper: %w", err)
	}
	var row windows.MibUnicastIpAddressRow
	h.ip.initializeUnicastIpAddressEntry.Call(uintptr(unsafe.Pointer(&row)))
	*(*windows.RawSockaddrInet)(unsafe.Pointer(&row.Address)) = sockaddrInet(addr.Addr())
	row.InterfaceLuid = luid
	row.OnLinkPrefixLength = uint8(addr.Bits())
	row.DadState = 4 // IpDadStatePreferred: usable at once, no duplicate detection on a tunnel
	if err := h.ip.createUnicastIpAddressEntry.Find(); err != nil {
		return api.Errorf(api.CodeTunnelDevice, "tunnel: IP Helper: %w", err)
	}
	r, _, _ := h.ip.createUnicastIpAddressEntry.Call(uintptr(unsafe.Pointer(&row)))
	if err := netioErr(r); err != nil && !errors.Is(err, windows.ERROR_OBJECT_ALREADY_EXISTS) {
		return privErrWindows(err, "tunnel: adding address %v to %s: %w", addr, ifname, err)
	}
	return nil // the adapter is up while its Wintun session runs
}

// routeTo asks GetBestRoute2; when the answer is the tunnel, it looks for
// the longest-prefix route through another interface itself.
func (h *windowsHost) routeTo(dst netip.Addr, avoid string) (route, error) {
	avoidLUID, _ := h.ip.luidOf(avoid) // 0 when the tunnel is not up yet
	if err := h.ip.getBestRoute2.Find(); err != nil {
		return route{}, err
	}
	sa := sockaddrInet(dst)
	var best windows.MibIpForwardRow2
	var src windows.RawSockaddrInet
	r, _, _ := h.ip.getBestRoute2.Call(0, 0, 0, uintptr(unsafe.Pointer(&sa)), 0,
		uintptr(unsafe.Pointer(&best)), uintptr(unsafe.Pointer(&src)))
	if err := netioErr(r); err != nil {
		return route{}, fmt.Errorf("no route to %v: %w", dst, err)
	}
	if avoidLUID != 0 && best.InterfaceLuid == avoidLUID {
		found, err := h.longestMatch(dst, avoidLUID)
		if err != nil {
			return route{}, err
		}
		best = found
	}
	alias, err := h.ip.aliasOf(best.InterfaceLuid)
	if err != nil {
		return route{}, fmt.Errorf("interface of the route to %v: %w", dst, err)
	}
	rt := route{Interface: alias}
	if gw := addrOf(&best.NextHop); gw.IsValid() && !gw.IsUnspecified() {
		rt.Gateway = gw
	}
	return rt, nil
}

func (h *windowsHost) longestMatch(dst netip.Addr, avoid uint64) (windows.MibIpForwardRow2, error) {
	fam := uint16(windows.AF_INET)
	if dst.Is6() {
		fam = windows.AF_INET6
	}
	var table *windows.MibIpForwardTable2
	if err := windows.GetIpForwardTable2(fam, &table); err != nil {
		return windows.MibIpForwardRow2{}, fmt.Errorf("listing routes: %w", err)
	}
	defer windows.FreeMibTable(unsafe.Pointer(table))
	var best windows.MibIpForwardRow2
	bestBits := -1
	for _, r := range table.Rows() {
		if r.InterfaceLuid == avoid {
			continue
		}
		a := addrOf(&r.DestinationPrefix.Prefix)
		if !a.IsValid() {
			continue
		}
		p := netip.PrefixFrom(a, int(r.DestinationPrefix.PrefixLength))
		if !p.Contains(dst) {
			continue
		}
		if bits := p.Bits(); bits > bestBits || (bits == bestBits && r.Metric < best.Metric) {
			best, bestBits = r, bits
		}
	}
	if bestBits < 0 {
		return best, fmt.Errorf("no route to %v outside the tunnel", dst)
	}
	return best, nil
}

func (h *windowsHost) addRoute(r route) error {
	luid, err := h.ip.luidOf(r.Interface)
	if err != nil {
		return api.Errorf(api.CodeTunnelDevice, "tunnel: finding interface %s: %w", r.Interface, err)
	}
	row, err := h.ip.forwardRow(luid, r.Dst, r.Gateway, r.Metric)
	if err == nil {
		err = h.ip.createIpForwardEntry2.Find()
	}
	if err != nil {
		return api.Errorf(api.CodeTunnelDevice, "tunnel: IP Helper: %w", err)
	}
	ret, _, _ := h.ip.createIpForwardEntry2.Call(uintptr(unsafe.Pointer(row)))
	err = netioErr(ret)
	if errors.Is(err, windows.ERROR_OBJECT_ALREADY_EXISTS) {
		return fmt.Errorf("%v via %s: %w", r.Dst, r.Interface, errRouteExists)
	}
	if err != nil {
		return privErrWindows(err, "tunnel: adding route %v via %s: %w", r.Dst, r.Interface, err)
	}
	return nil
}

func (h *windowsHost) delRoute(r route) error {
	luid, err := h.ip.luidOf(r.Interface)
	if err != nil {
		return nil // the interface is gone, and its routes with it
	}
	row, err := h.ip.forwardRow(luid, r.Dst, r.Gateway, r.Metric)
	if err == nil {
		err = h.ip.deleteIpForwardEntry2.Find()
	}
	if err != nil {
		return api.Errorf(api.CodeTunnelDevice, "tunnel: IP Helper: %w", err)
	}
	ret, _, _ := h.ip.deleteIpForwardEntry2.Call(uintptr(unsafe.Pointer(row)))
	if err := netioErr(ret); err != nil && !errors.Is(err, windows.ERROR_NOT_FOUND) {
		return privErrWindows(err, "tunnel: removing route %v via %s: %w", r.Dst, r.Interface, err)
	}
	return nil
}

// removeLink has nothing to do: the adapter goes with the process that
// created it.
func (h *windowsHost) removeLink(ifname string) error {
	if _, err := h.ip.luidOf(ifname); err == nil {
		h.log.Warn("adapter still present; it goes when the process holding it does", "interface", ifname)
	}
	return nil
}

// planDNS prefers SetInterfaceDnsSettings (Windows 10 2004 and later);
// before that netsh sets the servers, without search domains.
func (h *windowsHost) planDNS(ifname, stateDir string, cfg Config) (dnsState, error) {
	if len(cfg.DNS) == 0 && len(cfg.SearchDomains) == 0 {
		return dnsState{Method: dnsNone}, nil
	}
	if err := h.ip.setInterfaceDnsSettings.Find(); err != nil {
		return dnsState{Method: dnsNetsh, Interface: ifname}, api.Errorf(api.CodeTunnelDNSFallback,
			"tunnel: SetInterfaceDnsSettings is not available (Windows older than 10 2004): setting DNS servers with netsh, without search domains: %w", err)
	}
	return dnsState{Method: dnsWindows, Interface: ifname}, nil
}

func (h *windowsHost) setDNS(st dnsState, servers []netip.Addr, domains []string) error {
	var err error
	switch st.Method {
	case dnsWindows:
		err = h.setInterfaceDNS(st.Interface, servers, domains)
	case dnsNetsh:
		err = h.setNetshDNS(st.Interface, servers)
	case dnsNone:
		return nil
	default:
		return api.Errorf(api.CodeTunnelDNS, "tunnel: DNS method %q is not available on Windows", st.Method)
	}
	if err != nil {
		return err
	}
	// Split DNS: the tunnel's domains go to its resolvers whichever
	// adapter Windows would ask first (nrpt.go).
	if r, ok := nrptRuleFor(st.Interface, servers, domains); ok {
		if err := writeNRPT(r); err != nil {
			return api.Errorf(api.CodeTunnelDNS, "tunnel: split DNS rule: %w", err)
		}
	}
	return nil
}

func (h *windowsHost) setInterfaceDNS(ifname string, servers []netip.Addr, domains []string) error {
	luid, err := h.ip.luidOf(ifname)
	if err != nil {
		return api.Errorf(api.CodeTunnelDNS, "tunnel: finding adapter %s: %w", ifname, err)
	}
	guid, err := h.ip.guidOf(luid)
	if err != nil {
		return api.Errorf(api.CodeTunnelDNS, "tunnel: adapter GUID: %w", err)
	}
	var v4, v6 []string
	for _, s := range servers {
		if s.Is4() {
			v4 = append(v4, s.String())
		} else {
			v6 = append(v6, s.String())
		}
	}
	search, err := windows.UTF16PtrFromString(strings.Join(domains, ","))
	if err != nil {
		return api.Errorf(api.CodeTunnelDNS, "tunnel: search list: %w", err)
	}
	for _, fam := range []struct {
		flags   uint64
		servers []string
	}{{0, v4}, {dnsSettingIPv6, v6}} {
		if len(fam.servers) == 0 && fam.flags == dnsSettingIPv6 {
			continue
		}
		ns, err := windows.UTF16PtrFromString(strings.Join(fam.servers, ","))
		if err != nil {
			return api.Errorf(api.CodeTunnelDNS, "tunnel: server list: %w", err)
		}
		s := &dnsInterfaceSettings{
			Version:    dnsInterfaceSettingsVersion1,
			Flags:      fam.flags | dnsSettingNameServer | dnsSettingSearchList,
			NameServer: ns,
			SearchList: search,
		}
		if err := h.ip.setDNSSettings(guid, s); err != nil {
			return api.Errorf(api.CodeTunnelDNS, "tunnel: SetInterfaceDnsSettings on %s: %w", ifname, err)
		}
	}
	return nil
}

func (h *windowsHost) setNetshDNS(ifname string, servers []netip.Addr) error {
	for i, s := range servers {
		fam := "ipv4"
		if s.Is6() {
			fam = "ipv6"
		}
		var err error
		if i == 0 {
			_, err = run("", "netsh", "interface", fam, "set", "dnsservers", "name="+ifname, "source=static",
				"address="+s.String(), "register=none", "validate=no")
		} else {
			_, err = run("", "netsh", "interface", fam, "add", "dnsservers", "name="+ifname,
				"address="+s.String(), fmt.Sprintf("index=%d", i+1), "validate=no")
		}
		if err != nil {
			return api.Errorf(api.CodeTunnelDNS, "tunnel: setting DNS with netsh: %w", err)
		}
	}
	return nil
}

// revertDNS has nothing to undo once the adapter is gone; while it exists
// (Close reverts before closing) the settings are cleared.
func (h *windowsHost) revertDNS(st dnsState) error {
	// The NRPT rule outlives the adapter: it goes first, in any case.
	if err := removeNRPT("", h.log); err != nil {
		return api.Errorf(api.CodeTunnelDNS, "tunnel: removing the split DNS rule: %w", err)
	}
	if _, err := h.ip.luidOf(st.Interface); err != nil {
		return nil
	}
	switch st.Method {
	case dnsWindows:
		return h.setInterfaceDNS(st.Interface, nil, nil)
	case dnsNetsh:
		for _, fam := range []string{"ipv4", "ipv6"} {
			run("", "netsh", "interface", fam, "set", "dnsservers", "name="+st.Interface, "source=dhcp")
		}
	}
	return nil
}

// privErrWindows is api.Errorf with code tunnel_no_privileges for an
// access-denied cause, tunnel_device otherwise.
func privErrWindows(cause error, format string, args ...any) error {
	if errors.Is(cause, windows.ERROR_ACCESS_DENIED) {
		return api.Errorf(api.CodeTunnelNoPrivileges, format, args...)
	}
	return api.Errorf(api.CodeTunnelDevice, format, args...)
}
