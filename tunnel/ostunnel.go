package tunnel

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/opensvpn/svpn/api"
)

// DefaultInterfaceName is the name OSTunnel gives its interface unless told
// otherwise (macOS ignores it: the kernel names utun interfaces).
const DefaultInterfaceName = "svpn0"

// OSOptions says where an OSTunnel lives on the machine.
type OSOptions struct {
	Name string // interface name; default DefaultInterfaceName
	// StateDir holds the state file that describes what the tunnel changed
	// (and the resolv.conf backup), so Recover can undo a crashed run. It
	// must survive a restart of the service and be writable only by it,
	// e.g. /var/lib/svpn. Required. One OSTunnel per StateDir at a time.
	StateDir string
	Logger   *slog.Logger // nil discards
}

// OSTunnel is a tunnel on a kernel interface: the machine routes the pushed
// prefixes into it and uses its DNS servers, so every application reaches
// the internal network without a proxy. Creating it needs root
// (CAP_NET_ADMIN on Linux, SYSTEM on Windows), which svpnd has as a service.
type OSTunnel struct {
	cfg      Config
	dir      string
	log      *slog.Logger
	h        host
	eng      *engine
	warnings []error
	// created is set once createTUN succeeded: before that there is
	// nothing on the machine to undo, and an interface of the same name
	// may belong to someone else.
	created bool

	// mu guards st and closed and serializes the changes Close and
	// UpdateEndpoint make.
	mu     sync.Mutex
	st     state
	closed bool
}

// NewOS brings the tunnel up on a kernel interface: it creates the
// interface, starts WireGuard on it, sets its address, adds the routes and
// sets DNS. Whatever fails, the machine is left as it was.
//
// Leftovers of a crashed run in opts.StateDir are undone first, as Recover
// does. Each change is recorded in the state file before it is made.
func NewOS(cfg Config, opts OSOptions) (*OSTunnel, error) {
	return newOS(cfg, opts, newHost)
}

// newOS is NewOS on the host openHost returns; tests pass a fake one.
func newOS(cfg Config, opts OSOptions, openHost func(*slog.Logger) (host, error)) (*OSTunnel, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if opts.Name == "" {
		opts.Name = DefaultInterfaceName
	}
	if opts.StateDir == "" {
		return nil, api.Errorf(api.CodeTunnelState, "tunnel: no state directory: an OS tunnel cannot be recovered after a crash without one")
	}
	log := orDiscard(opts.Logger).With("tunnel", "os")
	if err := recoverState(opts.StateDir, log, openHost); err != nil {
		return nil, err
	}
	if ifname, err := addressOwner(cfg.Address.Addr()); err != nil {
		return nil, api.Errorf(api.CodeTunnelDevice, "tunnel: listing interface addresses: %w", err)
	} else if ifname != "" {
		return nil, api.Errorf(api.CodeTunnelAddressConflict, "tunnel: address %v is already assigned to interface %s", cfg.Address.Addr(), ifname)
	}
	h, err := openHost(log)
	if err != nil {
		return nil, err
	}
	t := &OSTunnel{cfg: cfg, dir: opts.StateDir, log: log, h: h}
	if err := t.up(opts.Name); err != nil {
		if uerr := t.undo(); uerr != nil {
			// The state file stays: Recover tries again at the next start.
			log.Error("undoing a failed start left changes behind", "err", uerr)
			err = errors.Join(err, uerr)
		}
		h.close()
		return nil, err
	}
	return t, nil
}

// up does NewOS's work; on error the caller undoes what t.st lists.
func (t *OSTunnel) up(name string) error {
	cfg := &t.cfg
	t.st = state{
		Version:   stateVersion,
		PID:       os.Getpid(),
		Started:   time.Now().UTC(),
		Interface: name,
		Address:   cfg.Address,
	}
	for _, p := range cfg.Routes {
		t.st.Routes = append(t.st.Routes, route{Dst: p, Interface: name})
	}
	// A pushed route that covers the gateway's own endpoint would send the
	// encrypted packets into the tunnel itself. Pin the endpoint to the
	// route it has now.
	if cfg.routed(cfg.Endpoint.Addr()) {
		r, err := t.endpointRoute(cfg.Endpoint.Addr(), name)
		if err != nil {
			return err
		}
		t.st.EndpointRoute = &r
	}
	var warn error
	t.st.DNS, warn = t.h.planDNS(name, t.dir, *cfg)
	if warn != nil {
		t.warnings = append(t.warnings, warn)
		t.log.Warn("DNS: using a fallback", "code", api.CodeOf(warn), "method", t.st.DNS.Method, "reason", warn)
	}
	if err := writeState(t.dir, &t.st); err != nil {
		return err
	}

	tdev, got, err := t.h.createTUN(name, cfg.MTU)
	if err != nil {
		return err
	}
	t.created = true
	if got != name {
		t.st.Interface, t.st.DNS.Interface = got, got
		for i := range t.st.Routes {
			t.st.Routes[i].Interface = got
		}
		if err := writeState(t.dir, &t.st); err != nil {
			tdev.Close()
			return err
		}
	}
	if t.eng, err = startEngine(tdev, *cfg, t.log); err != nil {
		return err
	}
	if err := t.h.addAddress(got, cfg.Address); err != nil {
		return err
	}
	if r := t.st.EndpointRoute; r != nil {
		if err := t.h.addRoute(*r); errors.Is(err, errRouteExists) {
			// Someone pinned the endpoint already; that route is not ours
			// to remove.
			t.log.Info("endpoint already has a host route", "endpoint", r.Dst)
			t.st.EndpointRoute = nil
			if err := writeState(t.dir, &t.st); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
	}
	for _, r := range t.st.Routes {
		if err := t.h.addRoute(r); errors.Is(err, errRouteExists) {
			return api.Errorf(api.CodeTunnelRouteConflict, "tunnel: route %v already exists on this machine (a local network using the same addresses?): %w", r.Dst, err)
		} else if err != nil {
			return err
		}
	}
	if len(cfg.DNS) > 0 || len(cfg.SearchDomains) > 0 {
		if err := t.h.setDNS(t.st.DNS, cfg.DNS, cfg.SearchDomains); err != nil {
			return err
		}
	}
	t.log.Info("tunnel up", "interface", got, "address", cfg.Address, "routes", cfg.Routes,
		"endpoint_route", t.st.EndpointRoute != nil, "dns_method", t.st.DNS.Method)
	return nil
}

// endpointRoute is the host route for ep through the route the host uses
// for it outside the tunnel interface ifname.
func (t *OSTunnel) endpointRoute(ep netip.Addr, ifname string) (route, error) {
	r, err := t.h.routeTo(ep, ifname)
	if err != nil {
		return route{}, api.Errorf(api.CodeTunnelRouteConflict, "tunnel: a pushed route covers the gateway endpoint %v and there is no other route to it: %w", ep, err)
	}
	r.Dst = netip.PrefixFrom(ep, ep.BitLen())
	return r, nil
}

// DNSMethod says how the tunnel's DNS settings were made: "systemd-resolved"
// or "resolv.conf" (Linux), "scutil" (macOS), "windows-interface" or
// "netsh" (Windows), "none" when the gateway pushed none. It is for the
// diagnostics.
func (t *OSTunnel) DNSMethod() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.st.DNS.Method
}

// Interface returns the name of the tunnel's interface.
func (t *OSTunnel) Interface() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.st.Interface
}

// Warnings returns what went less well than it should have without
// stopping the tunnel, as *api.Error: tunnel_dns_fallback when the
// preferred DNS manager was not available.
func (t *OSTunnel) Warnings() []error { return slices.Clone(t.warnings) }

// Stats reports the state of the gateway peer.
func (t *OSTunnel) Stats() (Stats, error) { return t.eng.stats() }

// Rekey starts a fresh handshake with the gateway (after it restarted).
func (t *OSTunnel) Rekey() error { return t.eng.rekey() }

// UpdateEndpoint re-points the gateway peer. When a pushed route covers the
// endpoint, its host route is re-made through the route the host has now,
// which is what changed when the network did.
func (t *OSTunnel) UpdateEndpoint(ep netip.AddrPort) error {
	if !ep.IsValid() || ep.Port() == 0 || ep.Addr().IsUnspecified() {
		return api.Errorf(api.CodeTunnelConfig, "tunnel: invalid endpoint %v", ep)
	}
	ep = netip.AddrPortFrom(ep.Addr().Unmap(), ep.Port())
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return errClosed
	}
	// Drop the old pin first, so the lookup sees the network as it is.
	if old := t.st.EndpointRoute; old != nil {
		if err := t.h.delRoute(*old); err != nil {
			return err
		}
		t.st.EndpointRoute = nil
	}
	if t.cfg.routed(ep.Addr()) {
		r, err := t.endpointRoute(ep.Addr(), t.st.Interface)
		if err != nil {
			return err
		}
		t.st.EndpointRoute = &r
	}
	if err := writeState(t.dir, &t.st); err != nil {
		return err
	}
	if r := t.st.EndpointRoute; r != nil {
		if err := t.h.addRoute(*r); errors.Is(err, errRouteExists) {
			t.st.EndpointRoute = nil
			if err := writeState(t.dir, &t.st); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
	}
	if err := t.eng.setEndpoint(ep); err != nil {
		return err
	}
	t.cfg.Endpoint = ep
	return nil
}

// Close reverts DNS, removes the routes, closes the device (the kernel then
// deletes the interface, and its address with it) and removes the state
// file. If something cannot be undone the state file stays, so Recover
// tries again when the service next starts.
func (t *OSTunnel) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil
	}
	t.closed = true
	err := t.undo()
	if cerr := t.h.close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		t.log.Error("tunnel closed, but changes were left behind; Recover will retry", "state_dir", t.dir, "err", err)
		return err
	}
	t.log.Info("tunnel closed", "interface", t.st.Interface)
	return nil
}

// undo reverts what t.st lists and closes the device, then removes the
// state file if that all worked.
func (t *OSTunnel) undo() error {
	if !t.created {
		return removeState(t.dir)
	}
	err := undoState(t.h, &t.st, func() {
		if t.eng != nil {
			t.eng.close()
		}
	})
	if err != nil {
		return err
	}
	return removeState(t.dir)
}

// undoState reverts what st lists, in the reverse order of making: DNS
// (while the interface still exists: resolved forgets a vanished link by
// itself, but resolv.conf must be restored), the routes, the device, the
// endpoint's host route. closeDevice closes the device, which makes the
// kernel delete the interface; Recover, which has no device, passes nil and
// deletes the interface if it is still there. It goes on past failures and
// returns them all.
func undoState(h host, st *state, closeDevice func()) error {
	var errs []error
	if st.DNS.Method != "" && st.DNS.Method != dnsNone {
		if err := h.revertDNS(st.DNS); err != nil {
			errs = append(errs, err)
		}
	}
	for i := len(st.Routes) - 1; i >= 0; i-- {
		if err := h.delRoute(st.Routes[i]); err != nil {
			errs = append(errs, err)
		}
	}
	if closeDevice != nil {
		closeDevice()
	} else if st.Interface != "" {
		if err := h.removeLink(st.Interface); err != nil {
			errs = append(errs, err)
		}
	}
	if st.EndpointRoute != nil {
		if err := h.delRoute(*st.EndpointRoute); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// addressOwner returns the name of the interface that has address a, or ""
// if none has.
func addressOwner(a netip.Addr) (string, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return "", err
	}
	for _, ifc := range ifs {
		addrs, err := ifc.Addrs()
		if err != nil {
			return "", fmt.Errorf("addresses of %s: %w", ifc.Name, err)
		}
		for _, ad := range addrs {
			if n, ok := ad.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap() == a {
					return ifc.Name, nil
				}
			}
		}
	}
	return "", nil
}
