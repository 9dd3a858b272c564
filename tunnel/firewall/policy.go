// Package firewall keeps a connected PC's traffic where the session's
// policy says it may go: the kill switch ("always on": nothing leaves but to
// the gateway, the tunnel, loopback, DHCP/NDP and, where allowed, the LAN),
// the IPv6 leak block, TCP MSS clamping on the tunnel, and the time-limited
// captive-portal exemption.
//
// The rule set is built once, as data (Plan), from a Policy; each OS
// translates that data: one nftables table of our own on Linux, replaced in
// one netlink batch (nftables_linux.go), a PF anchor on macOS (pf.go), WFP
// filters in a sublayer of our own on Windows (wfp.go). What a Guard
// applied is written to a state file first, so a restarted svpnd knows
// whether the kill switch must stay (it does until the user logs out) or
// whether the leftovers of a crash are to be removed.
package firewall

import (
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// Proto is a transport protocol an Endpoint or Rule names.
type Proto string

const (
	TCP    Proto = "tcp"
	UDP    Proto = "udp"
	ICMPv6 Proto = "icmpv6"
)

// Endpoint is a gateway address the kill switch lets through: the
// WireGuard UDP endpoint, the HTTPS API (TCP), or the TCP fallback
// transport over the API port.
type Endpoint struct {
	Proto Proto          `json:"proto"`
	Addr  netip.AddrPort `json:"addr"`
}

// Policy is what the firewall must enforce for a session.
type Policy struct {
	// KillSwitch blocks everything outside the tunnel except what the
	// fields below allow.
	KillSwitch bool `json:"kill_switch"`
	// BlockIPv6 blocks IPv6 to destinations outside the tunnel (but
	// link-local and NDP) while connected: set when the tunnel carries no
	// IPv6, so IPv6 cannot go around it. Implied by KillSwitch.
	BlockIPv6 bool `json:"block_ipv6"`
	// Interface is the tunnel's interface; empty while no tunnel is up
	// (after a crash, before the next login).
	Interface string `json:"interface,omitempty"`
	// MTU of the tunnel, for the MSS clamp of TCP through it (0: none).
	MTU int `json:"mtu,omitempty"`
	// Endpoints are the gateway's addresses (UDP and API), always allowed.
	Endpoints []Endpoint `json:"endpoints,omitempty"`
	// DNS are the tunnel's resolvers: the only DNS servers reachable while
	// the kill switch is on.
	DNS []netip.Addr `json:"dns,omitempty"`
	// LAN are the connected subnets reachable while the kill switch is on,
	// where policy allows the LAN (printers); empty: none.
	LAN []netip.Prefix `json:"lan,omitempty"`
	// ExemptUntil, while in the future, opens HTTP, HTTPS and DNS to any
	// address: a captive portal's sign-in page (hotel Wi-Fi) while the
	// kill switch is on. The kernel ends it on time (nftables timeouts)
	// even if svpnd is gone.
	ExemptUntil time.Time `json:"exempt_until,omitzero"`
	// NoExemption: the gateway's group forbids captive-portal exemptions.
	// Kept with the rules so the word holds after the session ended or
	// svpnd restarted, while the kill switch stays. The rules ignore it.
	NoExemption bool `json:"no_exemption,omitempty"`
	// ProbeMark is the socket mark svpnd's own captive-portal probe uses;
	// packets with it may reach HTTP (80) and DNS (53) anywhere. Only a
	// process with CAP_NET_ADMIN can set a mark. 0: no probe exemption.
	ProbeMark uint32 `json:"probe_mark,omitempty"`
}

// Active reports whether p needs a rule set at all.
func (p Policy) Active() bool { return p.KillSwitch || p.BlockIPv6 || (p.Interface != "" && p.MTU > 0) }

// Validate refuses a policy whose rules could not be written safely.
func (p Policy) Validate() error {
	if p.Interface != "" && !validIfname(p.Interface) {
		return fmt.Errorf("firewall: invalid interface name %q", p.Interface)
	}
	if p.MTU != 0 && (p.MTU < 576 || p.MTU > 65535) {
		return fmt.Errorf("firewall: MTU %d out of range", p.MTU)
	}
	for _, ep := range p.Endpoints {
		if (ep.Proto != TCP && ep.Proto != UDP) || !ep.Addr.IsValid() || ep.Addr.Port() == 0 || ep.Addr.Addr().IsUnspecified() {
			return fmt.Errorf("firewall: invalid endpoint %s %v", ep.Proto, ep.Addr)
		}
	}
	for _, a := range p.DNS {
		if !a.IsValid() || a.IsUnspecified() {
			return fmt.Errorf("firewall: invalid DNS server %v", a)
		}
	}
	for _, l := range p.LAN {
		// A "LAN" of /0, or of public addresses (a hostile network's
		// DHCP can hand out any netmask), would let traffic around the
		// tunnel: only private and link-local subnets qualify.
		if !IsLocalSubnet(l) {
			return fmt.Errorf("firewall: LAN prefix %v is not a private local subnet", l)
		}
	}
	return nil
}

// localRanges are the address ranges a LAN can be in: RFC 1918, IPv4
// link-local, IPv6 unique local and link-local.
var localRanges = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"), netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("fc00::/7"), netip.MustParsePrefix("fe80::/10"),
}

// IsLocalSubnet reports whether p lies within a private or link-local
// range (and is not a whole range of more than a /8).
func IsLocalSubnet(p netip.Prefix) bool {
	if !p.IsValid() || p.Bits() < 8 {
		return false
	}
	for _, r := range localRanges {
		if r.Bits() <= p.Bits() && r.Contains(p.Addr()) {
			return true
		}
	}
	return false
}

// validIfname: what Linux allows (IFNAMSIZ-1 bytes, no '/', no space),
// and what PF and WFP take as a name.
func validIfname(s string) bool {
	if s == "" || len(s) > 15 || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '/' || c == ':' || c == '"' || c == '\'' || c == '\\' || c == '{' || c == '}' || c == ';' || c == '#' {
			return false
		}
	}
	return true
}

// Family limits a rule to one address family; Any matches both.
type Family int

const (
	Any Family = iota
	IPv4
	IPv6
)

func (f Family) String() string {
	switch f {
	case IPv4:
		return "ipv4"
	case IPv6:
		return "ipv6"
	}
	return "any"
}

// Action is what a matching rule does.
type Action int

const (
	Accept Action = iota
	// Reject refuses at once (ICMP administratively prohibited / TCP RST
	// on Linux; block return on macOS; a blocking filter on Windows), so
	// applications fail fast instead of hanging.
	Reject
	// ClampMSS lowers the MSS option of TCP SYNs to what the tunnel's MTU
	// carries (Linux, macOS; Windows clamps in the Wintun adapter's MTU).
	ClampMSS
)

func (a Action) String() string {
	switch a {
	case Accept:
		return "accept"
	case Reject:
		return "reject"
	case ClampMSS:
		return "clamp-mss"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// Rule is one line of the rule set. The fields that are set must all
// match; the first rule that matches a packet decides. Rules apply to
// packets leaving the PC (and forwarded by it: containers, VMs).
type Rule struct {
	Why          string // a short comment carried into the OS's rule set
	Family       Family
	OutInterface string // "" any
	InInterface  string // "" any (only ClampMSS rules use it)
	Loopback     bool   // leaves through the loopback interface
	Proto        Proto  // "" any
	Dst          []netip.Prefix
	DstPorts     []uint16
	SrcPort      uint16
	ICMPTypes    []uint8
	Mark         uint32 // non-zero: only packets of sockets with this mark
	// Exemption: only while the captive-portal exemption lasts.
	Exemption bool
	Action    Action
	MSS       int // ClampMSS: the MSS to clamp to (IPv4; IPv6 20 less)
}

// NDP (router and neighbour solicitation/advertisement, redirect) and MLD
// reports: without them IPv6 on the LAN stops working, tunnel or not.
var ndpTypes = []uint8{133, 134, 135, 136, 137, 143}

// linkLocal6 is where IPv6 stays on the link: link-local unicast and
// link-scope multicast.
var linkLocal6 = []netip.Prefix{netip.MustParsePrefix("fe80::/10"), netip.MustParsePrefix("ff02::/16")}

// Plan is the rule set that enforces p, in order. It is the one place the
// decisions are made; the OS back ends only translate it.
func Plan(p Policy) []Rule {
	var rs []Rule
	add := func(r Rule) { rs = append(rs, r) }
	if p.Interface != "" && p.MTU > 0 {
		// TCP through the tunnel must fit it: a path that drops ICMP
		// "fragmentation needed" otherwise stalls every large download.
		add(Rule{Why: "clamp TCP MSS to the tunnel MTU", OutInterface: p.Interface, Proto: TCP, Action: ClampMSS, MSS: p.MTU - 40})
		add(Rule{Why: "clamp TCP MSS of SYNs from the tunnel", InInterface: p.Interface, Proto: TCP, Action: ClampMSS, MSS: p.MTU - 40})
	}
	if !p.KillSwitch && !p.BlockIPv6 {
		return rs
	}
	add(Rule{Why: "loopback", Loopback: true, Action: Accept})
	if p.KillSwitch {
		if !p.ExemptUntil.IsZero() {
			add(Rule{Why: "captive portal exemption: HTTP, HTTPS and DNS", Proto: TCP, DstPorts: []uint16{53, 80, 443}, Exemption: true, Action: Accept})
			add(Rule{Why: "captive portal exemption: DNS", Proto: UDP, DstPorts: []uint16{53}, Exemption: true, Action: Accept})
		}
		if p.ProbeMark != 0 {
			add(Rule{Why: "svpnd's captive portal probe: HTTP and DNS", Proto: TCP, DstPorts: []uint16{53, 80}, Mark: p.ProbeMark, Action: Accept})
			add(Rule{Why: "svpnd's captive portal probe: DNS", Proto: UDP, DstPorts: []uint16{53}, Mark: p.ProbeMark, Action: Accept})
		}
		// DNS goes to the tunnel's resolvers only, through the tunnel.
		if p.Interface != "" {
			for _, fam := range []Family{IPv4, IPv6} {
				var dst []netip.Prefix
				for _, a := range p.DNS {
					if familyOf(a) == fam {
						dst = append(dst, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
					}
				}
				if len(dst) > 0 {
					add(Rule{Why: "DNS to the tunnel's resolvers", Family: fam, OutInterface: p.Interface, Proto: UDP, Dst: dst, DstPorts: []uint16{53}, Action: Accept})
					add(Rule{Why: "DNS to the tunnel's resolvers", Family: fam, OutInterface: p.Interface, Proto: TCP, Dst: dst, DstPorts: []uint16{53}, Action: Accept})
				}
			}
		}
		add(Rule{Why: "no other DNS", Proto: UDP, DstPorts: []uint16{53}, Action: Reject})
		add(Rule{Why: "no other DNS", Proto: TCP, DstPorts: []uint16{53}, Action: Reject})
	}
	if p.Interface != "" {
		add(Rule{Why: "the tunnel", OutInterface: p.Interface, Action: Accept})
	}
	if p.KillSwitch {
		for _, ep := range sortedEndpoints(p.Endpoints) {
			a := ep.Addr.Addr().Unmap()
			add(Rule{Why: "the gateway (" + string(ep.Proto) + ")", Family: familyOf(a), Proto: ep.Proto,
				Dst: []netip.Prefix{netip.PrefixFrom(a, a.BitLen())}, DstPorts: []uint16{ep.Addr.Port()}, Action: Accept})
		}
		add(Rule{Why: "DHCP", Family: IPv4, Proto: UDP, SrcPort: 68, DstPorts: []uint16{67}, Action: Accept})
	}
	add(Rule{Why: "DHCPv6", Family: IPv6, Proto: UDP, SrcPort: 546, DstPorts: []uint16{547}, Action: Accept})
	add(Rule{Why: "NDP", Family: IPv6, Proto: ICMPv6, ICMPTypes: ndpTypes, Action: Accept})
	if p.KillSwitch {
		for _, fam := range []Family{IPv4, IPv6} {
			var dst []netip.Prefix
			for _, l := range p.LAN {
				if familyOf(l.Addr()) == fam {
					dst = append(dst, l.Masked())
				}
			}
			if len(dst) > 0 {
				add(Rule{Why: "the local network (allowed by policy)", Family: fam, Dst: dst, Action: Accept})
			}
		}
		add(Rule{Why: "kill switch: nothing else", Action: Reject})
		return rs
	}
	add(Rule{Why: "IPv6 on the link", Family: IPv6, Dst: linkLocal6, Action: Accept})
	add(Rule{Why: "no IPv6 around the tunnel", Family: IPv6, Action: Reject})
	return rs
}

func familyOf(a netip.Addr) Family {
	if a.Unmap().Is4() {
		return IPv4
	}
	return IPv6
}

func sortedEndpoints(eps []Endpoint) []Endpoint {
	out := slices.Clone(eps)
	slices.SortFunc(out, func(a, b Endpoint) int {
		if a.Proto != b.Proto {
			if a.Proto < b.Proto {
				return -1
			}
			return 1
		}
		return a.Addr.Compare(b.Addr)
	})
	return slices.CompactFunc(out, func(a, b Endpoint) bool { return a == b })
}
