package tunnel

import (
	"errors"
	"net/netip"

	"golang.zx2c4.com/wireguard/tun"
)

// host is what an operating system contributes to an OSTunnel: its TUN
// driver and how it sets addresses, routes and DNS. Each method does one
// change or one lookup; the order, the bookkeeping in the state file and
// the decisions are OSTunnel's and Recover's, the same on every OS.
//
// Removals are idempotent: removing what is not there is not an error,
// because Recover runs them against whatever a crash left behind.
type host interface {
	// createTUN creates the kernel interface and returns it with the name
	// it got, which can differ from the name asked for (macOS picks the
	// next free utunN).
	createTUN(name string, mtu int) (tun.Device, string, error)
	// addAddress gives the interface its address and brings it up.
	addAddress(ifname string, addr netip.Prefix) error
	// routeTo returns the route the host uses to reach dst now, ignoring
	// routes through the interface avoid (the tunnel, when it is up).
	// Only Gateway and Interface are set.
	routeTo(dst netip.Addr, avoid string) (route, error)
	// addRoute adds r; errRouteExists if the same destination is routed
	// already.
	addRoute(r route) error
	// delRoute removes r if it is there.
	delRoute(r route) error
	// removeLink deletes the interface ifname if it still exists and is a
	// TUN. Only Recover calls it: kernels delete a TUN when the process
	// that holds it exits, so one that outlived a crash is held by a hung
	// process, which a restarted service takes over from.
	removeLink(ifname string) error
	// planDNS decides how the DNS settings will be made, before anything
	// changes, so the state file can say. warning is non-nil (code
	// tunnel_dns_fallback) when the OS's preferred way is not available.
	planDNS(ifname, stateDir string, cfg Config) (st dnsState, warning error)
	// setDNS applies servers and search domains the way st says.
	setDNS(st dnsState, servers []netip.Addr, domains []string) error
	// revertDNS undoes setDNS.
	revertDNS(st dnsState) error
	// close releases the host's own resources (netlink or D-Bus sockets).
	close() error
}

// errRouteExists is returned by host.addRoute when the destination is
// already routed the same way or through another interface.
var errRouteExists = errors.New("route exists")

// route is one route an OSTunnel adds: either a pushed prefix through the
// tunnel interface, or the host route that keeps the gateway's endpoint off
// the tunnel. Interfaces are kept by name, not index: after a crash the
// tunnel interface is gone and its index may have been reused.
type route struct {
	Dst       netip.Prefix `json:"dst"`
	Gateway   netip.Addr   `json:"gateway,omitzero"` // zero: on-link
	Interface string       `json:"interface"`
	// Metric is 0 except where the OS wants one (Windows).
	Metric uint32 `json:"metric,omitempty"`
}

// DNS methods, as DNSMethod reports them and the state file records them.
const (
	dnsNone       = "none"              // the gateway pushed no DNS settings
	dnsResolved   = "systemd-resolved"  // Linux, per link over D-Bus
	dnsResolvConf = "resolv.conf"       // Linux fallback: /etc/resolv.conf rewritten, backup restored
	dnsScutil     = "scutil"            // macOS, a State:/Network/Service/…/DNS key
	dnsWindows    = "windows-interface" // Windows, per interface (SetInterfaceDnsSettings)
	dnsNetsh      = "netsh"             // Windows fallback before SetInterfaceDnsSettings
)

// dnsState is how the DNS settings were made and what undoing them needs.
type dnsState struct {
	Method    string `json:"method"`
	Interface string `json:"interface,omitempty"`
	// Backup is the copy of /etc/resolv.conf taken before it was rewritten
	// (method resolv.conf); restoring it is what Close and Recover do.
	Backup string `json:"backup,omitempty"`
	// Key is the System Configuration key holding the settings (scutil).
	Key string `json:"key,omitempty"`
}
