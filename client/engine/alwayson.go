package engine

import (
	"context"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/tunnel"
	"github.com/opensvpn/svpn/tunnel/firewall"
)

// Firewall is the kill switch, IPv6 leak block and MSS clamp behind an OS
// tunnel (package tunnel/firewall's Guard). Its rules outlive svpnd: the
// kill switch stays through reconnecting and a crash, until the user logs
// out.
type Firewall interface {
	Apply(p firewall.Policy, owner string) error
	Release() error
	Policy() (p firewall.Policy, owner string, ok bool)
}

// ProbeMark is the socket mark of svpnd's captive-portal probe: the kill
// switch lets it reach HTTP and DNS, and only root can set it.
const ProbeMark = 0x5356504e // "SVPN"

// guardUp puts the session's firewall policy in force for a tunnel that
// just came up. It returns a function that undoes it if the connection
// fails after all: the previous rules come back (a kill switch kept from an
// earlier session stays), or none.
func (e *Engine) guardUp(ctx context.Context, resp *api.LoginResponse, cfg tunnel.Config, tun tunnel.Tunnel, owner string) (undo func(), err error) {
	fw := e.o.Firewall
	if fw == nil {
		// Userspace mode changes nothing on the machine: a policy that
		// requires the kill switch cannot be met there, and fails closed.
		if e.o.Profile.AlwaysOn.Merge(resp.Tunnel).KillSwitch {
			return nil, api.Errorf(api.CodeFirewall, "the policy requires the kill switch, which needs the SVPN service's kernel tunnel (svpnd without --userspace)")
		}
		return func() {}, nil
	}
	prev, prevOwner, hadPrev := fw.Policy()
	p := e.sessionPolicy(ctx, resp, cfg, tun)
	if err := fw.Apply(p, owner); err != nil {
		return nil, api.Errorf(api.CodeFirewall, "firewall: %w", err)
	}
	e.setKillSwitch(p.KillSwitch)
	return func() {
		var err error
		if hadPrev && prev.KillSwitch {
			prev.Interface, prev.MTU = "", 0
			err = fw.Apply(prev, prevOwner)
		} else {
			err = fw.Release()
		}
		if err != nil {
			e.log.Error("restoring the firewall after a failed connection", "err", err)
		}
		e.setKillSwitch(hadPrev && prev.KillSwitch)
	}, nil
}

// sessionPolicy is what the firewall enforces for a session: the
// profile's always-on policy made stricter by the gateway's group.
func (e *Engine) sessionPolicy(ctx context.Context, resp *api.LoginResponse, cfg tunnel.Config, tun tunnel.Tunnel) firewall.Policy {
	ao := e.o.Profile.AlwaysOn.Merge(resp.Tunnel)
	p := firewall.Policy{KillSwitch: ao.KillSwitch, MTU: cfg.MTU, DNS: slices.Clone(cfg.DNS)}
	if t, ok := tun.(interface{ Interface() string }); ok {
		p.Interface = t.Interface()
	}
	p.BlockIPv6 = blocksIPv6(cfg.Routes)
	p.Endpoints = append(p.Endpoints, firewall.Endpoint{Proto: firewall.UDP, Addr: cfg.Endpoint})
	p.Endpoints = append(p.Endpoints, e.apiEndpoints(ctx)...)
	if ao.KillSwitch {
		p.NoExemption = resp.Tunnel.NoCaptiveExemption
		p.ProbeMark = ProbeMark
		if ao.AllowLAN {
			p.LAN = localSubnets(p.Interface)
		}
	}
	return p
}

// blocksIPv6 reports whether IPv6 outside the tunnel must be blocked while
// it is up: when the tunnel carries no IPv6 at all (IPv6 would go around
// it), and when it is a full tunnel for IPv4 but not for IPv6 (the policy
// wants everything inside).
func blocksIPv6(routes []netip.Prefix) bool {
	v6, fullV4, fullV6 := false, false, false
	for _, r := range routes {
		switch {
		case r.Addr().Is4() || r.Addr().Is4In6():
			fullV4 = fullV4 || r.Bits() == 0
		default:
			v6 = true
			fullV6 = fullV6 || r.Bits() == 0
		}
	}
	return !v6 || (fullV4 && !fullV6)
}

// apiEndpoints are the addresses of the profile's gateway API (TCP), which
// the kill switch must let through for the next login, the heartbeats and
// the TCP fallback transport over the same port.
func (e *Engine) apiEndpoints(ctx context.Context) []firewall.Endpoint {
	u, err := url.Parse(e.o.Profile.GatewayURL)
	if err != nil {
		return nil
	}
	port := u.Port()
	if port == "" {
		port = "443"
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return nil
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(u.Hostname()); err == nil {
		addrs = []netip.Addr{a}
	} else {
		// Every address of the name: the API client may use any of them.
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		addrs, err = net.DefaultResolver.LookupNetIP(rctx, "ip", u.Hostname())
		cancel()
		if err != nil {
			e.log.Warn("kill switch: the gateway API's address is unknown; only the tunnel endpoint is allowed", "err", err)
			return nil
		}
	}
	var eps []firewall.Endpoint
	for _, a := range addrs {
		eps = append(eps, firewall.Endpoint{Proto: firewall.TCP, Addr: netip.AddrPortFrom(a.Unmap(), uint16(p))})
	}
	return eps
}

// localSubnets are the subnets of this PC's interfaces other than the
// tunnel and loopback: the LAN a printer is on. Link-local IPv6 is always
// allowed (NDP) and not listed.
func localSubnets(tunIf string) []netip.Prefix {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var out []netip.Prefix
	for _, ifc := range ifs {
		if ifc.Name == tunIf || ifc.Flags&net.FlagLoopback != 0 || ifc.Flags&net.FlagUp == 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			n, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ip, ok := netip.AddrFromSlice(n.IP)
			if !ok || ip.IsLinkLocalUnicast() {
				continue
			}
			ones, _ := n.Mask.Size()
			p := netip.PrefixFrom(ip.Unmap(), ones).Masked()
			// A subnet of public addresses is the internet, not a LAN.
			if firewall.IsLocalSubnet(p) && !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// guardEndpoint replaces the gateway's UDP endpoint old with ep in the
// rules in force (the gateway's name now points elsewhere).
func (e *Engine) guardEndpoint(old, ep netip.AddrPort) {
	fw := e.o.Firewall
	if fw == nil {
		return
	}
	p, owner, ok := fw.Policy()
	if !ok {
		return
	}
	eps := make([]firewall.Endpoint, 0, len(p.Endpoints))
	for _, x := range p.Endpoints {
		if x.Proto != firewall.UDP || x.Addr != old {
			eps = append(eps, x)
		}
	}
	p.Endpoints = append(eps, firewall.Endpoint{Proto: firewall.UDP, Addr: ep})
	if err := fw.Apply(p, owner); err != nil {
		e.log.Error("letting the new gateway endpoint through the firewall", "endpoint", ep, "err", err)
	}
}

// guardDown settles the firewall when a session's tunnel goes: at logout
// everything is removed; otherwise (the gateway ended the session, svpnd
// is going away without a logout) a kill switch stays in force without the
// tunnel, and the rest goes.
func (e *Engine) guardDown(logout bool) {
	fw := e.o.Firewall
	if fw == nil {
		return
	}
	p, owner, ok := fw.Policy()
	if !ok {
		return
	}
	var err error
	if !logout && p.KillSwitch {
		p.Interface, p.MTU, p.BlockIPv6 = "", 0, false
		err = fw.Apply(p, owner)
	} else {
		err = fw.Release()
		if err == nil {
			p.KillSwitch = false
		}
	}
	if err != nil {
		e.log.Error("firewall", "err", err)
	}
	e.setKillSwitch(p.KillSwitch)
}

// releaseKillSwitch lifts a kill switch that outlived its session (after a
// crash, or after the gateway ended the session): the logout of a user who
// is not connected. Only its owner or an administrator may.
func (e *Engine) releaseKillSwitch(c Caller) error {
	fw := e.o.Firewall
	if fw == nil {
		return nil
	}
	p, owner, ok := fw.Policy()
	if !ok {
		return nil
	}
	if p.KillSwitch && !c.Admin && owner != "" && owner != c.UID {
		return api.Errorf(api.CodeKillSwitchOwner, "the kill switch belongs to another user's session")
	}
	if err := fw.Release(); err != nil {
		return api.Errorf(api.CodeFirewall, "firewall: %w", err)
	}
	e.log.Info("kill switch lifted at logout", "by", c.UID)
	e.setKillSwitch(false)
	return nil
}

// setKillSwitch shows whether the kill switch is in force.
func (e *Engine) setKillSwitch(on bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.status.KillSwitch != on {
		e.updateLocked(func(st *api.Status) { st.KillSwitch = on })
	}
}

// killSwitchAtStart is whether a kill switch from an earlier run is in
// force when the engine starts.
func killSwitchAtStart(fw Firewall) bool {
	if fw == nil {
		return false
	}
	p, _, ok := fw.Policy()
	return ok && p.KillSwitch
}
