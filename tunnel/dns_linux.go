//go:build linux

package tunnel

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/opensvpn/svpn/api"
)

// dbusTimeout bounds each exchange with systemd-resolved, a local service
// that answers in milliseconds when it is healthy.
const dbusTimeout = 10 * time.Second

const (
	resolvedName   = "org.freedesktop.resolve1"
	resolvedPath   = dbus.ObjectPath("/org/freedesktop/resolve1")
	resolvedMethod = "org.freedesktop.resolve1.Manager."
)

// planDNS picks systemd-resolved when it is what the machine resolves
// through: per-link servers and domains are then split DNS, undone by
// resolved itself when the link disappears. Otherwise /etc/resolv.conf is
// rewritten (the same way with every resolver library) and a backup kept.
func (h *linuxHost) planDNS(ifname, stateDir string, cfg Config) (dnsState, error) {
	if len(cfg.DNS) == 0 && len(cfg.SearchDomains) == 0 {
		return dnsState{Method: dnsNone}, nil
	}
	why := "/etc/resolv.conf is not managed by systemd-resolved"
	if resolvConfUsesResolved(h.resolvConf) {
		err := resolvedRunning()
		if err == nil {
			return dnsState{Method: dnsResolved, Interface: ifname}, nil
		}
		why = "systemd-resolved is not reachable over D-Bus (" + err.Error() + ")"
	}
	st := dnsState{Method: dnsResolvConf, Interface: ifname, Backup: filepath.Join(stateDir, resolvConfBackupName)}
	return st, api.Errorf(api.CodeTunnelDNSFallback,
		"tunnel: %s: rewriting %s instead (restored when the tunnel closes); split DNS is not possible this way", why, h.resolvConf)
}

func (h *linuxHost) setDNS(st dnsState, servers []netip.Addr, domains []string) error {
	switch st.Method {
	case dnsResolved:
		return h.setResolved(st.Interface, servers, domains)
	case dnsResolvConf:
		rc := resolvConf{path: h.resolvConf, backup: st.Backup, log: h.log}
		if err := rc.set(st.Interface, servers, domains); err != nil {
			return api.Errorf(api.CodeTunnelDNS, "tunnel: setting DNS in %s: %w", h.resolvConf, err)
		}
		return nil
	case dnsNone:
		return nil
	}
	return api.Errorf(api.CodeTunnelDNS, "tunnel: DNS method %q is not available on Linux", st.Method)
}

func (h *linuxHost) revertDNS(st dnsState) error {
	switch st.Method {
	case dnsResolved:
		return h.revertResolved(st.Interface)
	case dnsResolvConf:
		rc := resolvConf{path: h.resolvConf, backup: st.Backup, log: h.log}
		if err := rc.restore(); err != nil {
			return api.Errorf(api.CodeTunnelDNS, "tunnel: restoring %s: %w", h.resolvConf, err)
		}
		return nil
	case dnsNone, "":
		return nil
	}
	return api.Errorf(api.CodeTunnelDNS, "tunnel: DNS method %q is not available on Linux", st.Method)
}

// resolvConfUsesResolved reports whether the resolv.conf at path sends
// queries to systemd-resolved: a link to one of the files resolved writes,
// or its stub listener as a nameserver.
func resolvConfUsesResolved(path string) bool {
	if target, err := filepath.EvalSymlinks(path); err == nil && strings.HasPrefix(target, "/run/systemd/resolve/") {
		return true
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	for line := range strings.Lines(string(b)) {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "nameserver" && (f[1] == "127.0.0.53" || f[1] == "127.0.0.54") {
			return true
		}
	}
	return false
}

// systemBus connects to the system bus; the caller closes the connection.
// A connection of its own rather than dbus.SystemBus's shared one, so that
// nothing outlives the tunnel.
func systemBus(ctx context.Context) (*dbus.Conn, error) {
	return dbus.ConnectSystemBus(dbus.WithContext(ctx))
}

// resolvedRunning checks that resolved holds its bus name. It does not
// start it: a resolver the administrator left off stays off.
func resolvedRunning() error {
	ctx, cancel := context.WithTimeout(context.Background(), dbusTimeout)
	defer cancel()
	conn, err := systemBus(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var has bool
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, resolvedName).Store(&has); err != nil {
		return err
	}
	if !has {
		return errors.New("org.freedesktop.resolve1 has no owner")
	}
	return nil
}

// resolvedAddr is resolved's (iay): an address family and the address.
type resolvedAddr struct {
	Family  int32
	Address []byte
}

// resolvedDomain is resolved's (sb): a domain and whether it only routes
// queries (true) or is also a search domain (false).
type resolvedDomain struct {
	Domain      string
	RoutingOnly bool
}

// setResolved gives the tunnel link its servers and domains. With search
// domains the link is also taken off the default route, so only names in
// those domains go to the tunnel's servers (split DNS) and the rest of the
// machine's lookups are not sent to the office.
func (h *linuxHost) setResolved(ifname string, servers []netip.Addr, domains []string) error {
	link, err := h.nl.LinkByName(ifname)
	if err != nil {
		return api.Errorf(api.CodeTunnelDNS, "tunnel: finding interface %s: %w", ifname, err)
	}
	idx := int32(link.Attrs().Index)
	ctx, cancel := context.WithTimeout(context.Background(), dbusTimeout)
	defer cancel()
	conn, err := systemBus(ctx)
	if err != nil {
		return api.Errorf(api.CodeTunnelDNS, "tunnel: connecting to the system bus: %w", err)
	}
	defer conn.Close()
	obj := conn.Object(resolvedName, resolvedPath)
	addrs := make([]resolvedAddr, 0, len(servers))
	for _, s := range servers {
		fam := int32(unix.AF_INET)
		if s.Is6() {
			fam = unix.AF_INET6
		}
		addrs = append(addrs, resolvedAddr{Family: fam, Address: s.AsSlice()})
	}
	doms := make([]resolvedDomain, 0, len(domains))
	for _, d := range domains {
		doms = append(doms, resolvedDomain{Domain: d})
	}
	call := func(method string, args ...any) error {
		if err := obj.CallWithContext(ctx, resolvedMethod+method, 0, args...).Err; err != nil {
			return api.Errorf(api.CodeTunnelDNS, "tunnel: systemd-resolved %s on %s: %w", method, ifname, err)
		}
		return nil
	}
	if err := call("SetLinkDNS", idx, addrs); err != nil {
		return err
	}
	if err := call("SetLinkDomains", idx, doms); err != nil {
		return err
	}
	if len(domains) > 0 {
		// SetLinkDefaultRoute appeared in systemd 240; older ones route
		// by domain anyway, only less strictly.
		if err := call("SetLinkDefaultRoute", idx, false); err != nil {
			h.log.Info("systemd-resolved: could not take the tunnel link off the default DNS route", "err", err)
		}
	}
	return nil
}

// revertResolved drops the link's settings. A link that no longer exists
// needs nothing: resolved forgets it when it goes, and so it does when
// resolved is not running.
func (h *linuxHost) revertResolved(ifname string) error {
	link, err := h.nl.LinkByName(ifname)
	if _, ok := err.(netlink.LinkNotFoundError); ok {
		return nil
	}
	if err != nil {
		return api.Errorf(api.CodeTunnelDNS, "tunnel: finding interface %s: %w", ifname, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), dbusTimeout)
	defer cancel()
	conn, err := systemBus(ctx)
	if err != nil {
		h.log.Info("systemd-resolved not reachable while reverting; nothing to revert", "err", err)
		return nil
	}
	defer conn.Close()
	err = conn.Object(resolvedName, resolvedPath).CallWithContext(ctx, resolvedMethod+"RevertLink", 0, int32(link.Attrs().Index)).Err
	var derr dbus.Error
	if errors.As(err, &derr) && (derr.Name == "org.freedesktop.DBus.Error.ServiceUnknown" || derr.Name == "org.freedesktop.DBus.Error.NameHasNoOwner") {
		return nil
	}
	if err != nil {
		return api.Errorf(api.CodeTunnelDNS, "tunnel: systemd-resolved RevertLink on %s: %w", ifname, err)
	}
	return nil
}
