package tunnel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"golang.zx2c4.com/wireguard/tun/netstack"

	"github.com/opensvpn/svpn/api"
)

// Userspace is a tunnel whose network lives inside the process, on gVisor's
// netstack: it needs no privileges and changes nothing on the machine. The
// only way in is DialContext, which svpnd's loopback proxies use (package
// tunnel/proxy).
type Userspace struct {
	cfg Config
	eng *engine
	net *netstack.Net
	log *slog.Logger
}

// NewUserspace starts the tunnel. Only the UDP socket towards the gateway
// touches the host; the handshake happens with the first connection (or
// the first keepalive).
func NewUserspace(cfg Config, logger *slog.Logger) (*Userspace, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	log := orDiscard(logger).With("tunnel", "userspace")
	tdev, tnet, err := netstack.CreateNetTUN([]netip.Addr{cfg.Address.Addr()}, cfg.DNS, cfg.MTU)
	if err != nil {
		return nil, api.Errorf(api.CodeTunnelDevice, "tunnel: creating the netstack: %w", err)
	}
	eng, err := startEngine(tdev, cfg, log)
	if err != nil {
		return nil, err
	}
	return &Userspace{cfg: cfg, eng: eng, net: tnet, log: log}, nil
}

// Stats reports the state of the gateway peer.
func (u *Userspace) Stats() (Stats, error) { return u.eng.stats() }

// UpdateEndpoint re-points the gateway peer without closing connections
// inside the tunnel.
func (u *Userspace) UpdateEndpoint(ep netip.AddrPort) error { return u.eng.setEndpoint(ep) }

// Rekey starts a fresh handshake with the gateway (after it restarted).
func (u *Userspace) Rekey() error { return u.eng.rekey() }

// Close closes the device and the netstack; connections dialled through the
// tunnel fail from then on. It waits for wireguard-go's goroutines.
func (u *Userspace) Close() error {
	if u.eng.close() {
		u.log.Info("tunnel closed")
	}
	return nil
}

// Routed reports whether the tunnel carries traffic to a. A proxy that must
// also reach the internet dials addresses outside the tunnel directly.
func (u *Userspace) Routed(a netip.Addr) bool { return u.cfg.routed(a) }

// DialContext connects to addr through the tunnel, the way net.Dialer does:
// network is "tcp", "tcp4", "tcp6", "udp", "udp4" or "udp6" and addr is
// host:port. Host names are resolved by the tunnel's DNS servers, with the
// search domains tried first for a name without a dot (as resolv.conf's
// ndots:1 does), so "portal" finds portal.intra.go.kr. Addresses the tunnel
// does not route fail at once with tunnel_not_routed rather than after a
// timeout.
func (u *Userspace) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	u.eng.mu.RLock()
	closed := u.eng.closed
	u.eng.mu.RUnlock()
	if closed {
		return nil, errClosed
	}
	switch network {
	case "tcp", "tcp4", "tcp6", "udp", "udp4", "udp6":
	default:
		return nil, &net.OpError{Op: "dial", Net: network, Err: net.UnknownNetworkError(network)}
	}
	host, sport, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	port, err := strconv.ParseUint(sport, 10, 16)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("invalid port %q", sport)}
	}
	ips, err := u.resolve(ctx, host)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	var errs []error
	var notRouted error
	for _, ip := range ips {
		if !u.cfg.routed(ip) {
			if notRouted == nil {
				notRouted = api.Errorf(api.CodeTunnelNotRouted, "tunnel: %v is not routed through the tunnel", ip)
			}
			continue
		}
		if (strings.HasSuffix(network, "4") && !ip.Is4()) || (strings.HasSuffix(network, "6") && !ip.Is6()) {
			continue
		}
		c, err := u.net.DialContext(ctx, network, netip.AddrPortFrom(ip, uint16(port)).String())
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	switch {
	case len(errs) > 0:
		return nil, errors.Join(errs...)
	case notRouted != nil:
		return nil, &net.OpError{Op: "dial", Net: network, Err: notRouted}
	}
	return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("no %s address for %s", network, host)}
}

// resolve returns the addresses of host: host itself if it is an address,
// else what the tunnel's DNS servers answer.
func (u *Userspace) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip.Zone() != "" {
			return nil, fmt.Errorf("address %s has a zone", host)
		}
		return []netip.Addr{ip.Unmap()}, nil
	}
	if len(u.cfg.DNS) == 0 {
		return nil, api.Errorf(api.CodeTunnelNotRouted, "tunnel: cannot resolve %q: the tunnel has no DNS servers", host)
	}
	var names []string
	if !strings.Contains(host, ".") {
		for _, d := range u.cfg.SearchDomains {
			names = append(names, host+"."+d)
		}
	}
	names = append(names, strings.TrimSuffix(host, "."))
	var firstErr error
	for _, name := range names {
		addrs, err := u.net.LookupContextHost(ctx, name)
		if err == nil {
			var ips []netip.Addr
			for _, a := range addrs {
				if ip, err := netip.ParseAddr(a); err == nil {
					ips = append(ips, ip.Unmap())
				}
			}
			if len(ips) > 0 {
				return ips, nil
			}
		}
		if firstErr == nil {
			firstErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	if firstErr == nil {
		firstErr = fmt.Errorf("no addresses for %s", host)
	}
	return nil, fmt.Errorf("resolving %q through the tunnel: %w", host, firstErr)
}
