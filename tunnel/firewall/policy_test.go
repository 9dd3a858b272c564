package firewall

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// packet is what a rule can look at.
type packet struct {
	oif      string
	loopback bool
	proto    Proto
	dst      string
	dport    uint16
	sport    uint16
	icmpType uint8
	mark     uint32
}

// decide is the meaning of a rule set, as every back end must implement
// it: the first matching Accept or Reject decides; nothing matching
// accepts. It is the reference the plan is tested against.
func decide(rules []Rule, pk packet) Action {
	dst := netip.MustParseAddr(pk.dst)
	for _, r := range rules {
		if r.Action == ClampMSS {
			continue
		}
		switch {
		case r.Family == IPv4 && !dst.Is4(), r.Family == IPv6 && dst.Is4():
			continue
		case r.Loopback && !pk.loopback, r.OutInterface != "" && r.OutInterface != pk.oif, r.InInterface != "":
			continue
		case r.Proto != "" && r.Proto != pk.proto:
			continue
		case len(r.Dst) > 0 && !slices.ContainsFunc(r.Dst, func(p netip.Prefix) bool { return p.Contains(dst) }):
			continue
		case len(r.DstPorts) > 0 && !slices.Contains(r.DstPorts, pk.dport):
			continue
		case r.SrcPort != 0 && r.SrcPort != pk.sport:
			continue
		case len(r.ICMPTypes) > 0 && !slices.Contains(r.ICMPTypes, pk.icmpType):
			continue
		case r.Mark != 0 && r.Mark != pk.mark:
			continue
		}
		return r.Action
	}
	return Accept
}

var testPolicy = Policy{KillSwitch: true, Interface: "svpn0", MTU: 1420,
	Endpoints: []Endpoint{{UDP, netip.MustParseAddrPort("192.0.2.1:51820")}, {TCP, netip.MustParseAddrPort("192.0.2.1:443")}},
	DNS:       []netip.Addr{netip.MustParseAddr("10.77.0.1")}, ProbeMark: 0x5356504e}

func TestPlanKillSwitch(t *testing.T) {
	withLAN := testPolicy
	withLAN.LAN = []netip.Prefix{netip.MustParsePrefix("192.168.1.0/24")}
	exempt := testPolicy
	exempt.ExemptUntil = time.Now().Add(time.Minute)
	v6only := Policy{BlockIPv6: true, Interface: "svpn0"}
	for _, c := range []struct {
		name string
		p    Policy
		pk   packet
		want Action
	}{
		{"tunnel", testPolicy, packet{oif: "svpn0", proto: TCP, dst: "10.77.0.5", dport: 443}, Accept},
		{"internet TCP", testPolicy, packet{oif: "eth0", proto: TCP, dst: "203.0.113.7", dport: 443}, Reject},
		{"internet UDP", testPolicy, packet{oif: "eth0", proto: UDP, dst: "203.0.113.7", dport: 9999}, Reject},
		{"internet ICMP", testPolicy, packet{oif: "eth0", proto: "icmp", dst: "203.0.113.7"}, Reject},
		{"internet IPv6", testPolicy, packet{oif: "eth0", proto: TCP, dst: "2001:db8::1", dport: 80}, Reject},
		{"gateway UDP", testPolicy, packet{oif: "eth0", proto: UDP, dst: "192.0.2.1", dport: 51820}, Accept},
		{"gateway API", testPolicy, packet{oif: "eth0", proto: TCP, dst: "192.0.2.1", dport: 443}, Accept},
		{"gateway other port", testPolicy, packet{oif: "eth0", proto: TCP, dst: "192.0.2.1", dport: 22}, Reject},
		{"loopback", testPolicy, packet{oif: "lo", loopback: true, proto: UDP, dst: "127.0.0.53", dport: 53}, Accept},
		{"DNS, tunnel resolver", testPolicy, packet{oif: "svpn0", proto: UDP, dst: "10.77.0.1", dport: 53}, Accept},
		{"DNS, other server in the tunnel", testPolicy, packet{oif: "svpn0", proto: UDP, dst: "10.77.0.9", dport: 53}, Reject},
		{"DNS, tunnel resolver's address outside it", testPolicy, packet{oif: "eth0", proto: UDP, dst: "10.77.0.1", dport: 53}, Reject},
		{"DNS, the ISP's", testPolicy, packet{oif: "eth0", proto: UDP, dst: "203.0.113.53", dport: 53}, Reject},
		{"DNS over TCP, the ISP's", testPolicy, packet{oif: "eth0", proto: TCP, dst: "203.0.113.53", dport: 53}, Reject},
		{"DHCP", testPolicy, packet{oif: "eth0", proto: UDP, dst: "255.255.255.255", sport: 68, dport: 67}, Accept},
		{"NDP", testPolicy, packet{oif: "eth0", proto: ICMPv6, dst: "ff02::1:ff00:1", icmpType: 135}, Accept},
		{"ICMPv6 echo", testPolicy, packet{oif: "eth0", proto: ICMPv6, dst: "fe80::1", icmpType: 128}, Reject},
		{"LAN without allow_lan", testPolicy, packet{oif: "eth0", proto: TCP, dst: "192.168.1.20", dport: 631}, Reject},
		{"LAN with allow_lan", withLAN, packet{oif: "eth0", proto: TCP, dst: "192.168.1.20", dport: 631}, Accept},
		{"beyond the LAN with allow_lan", withLAN, packet{oif: "eth0", proto: TCP, dst: "192.168.2.20", dport: 631}, Reject},
		{"probe, marked", testPolicy, packet{oif: "eth0", proto: TCP, dst: "203.0.113.7", dport: 80, mark: 0x5356504e}, Accept},
		{"probe mark, other port", testPolicy, packet{oif: "eth0", proto: TCP, dst: "203.0.113.7", dport: 443, mark: 0x5356504e}, Reject},
		{"marked DNS (the gateway's name)", testPolicy, packet{oif: "eth0", proto: UDP, dst: "203.0.113.53", dport: 53, mark: 0x5356504e}, Accept},
		{"unmarked HTTP", testPolicy, packet{oif: "eth0", proto: TCP, dst: "203.0.113.7", dport: 80, mark: 1}, Reject},
		{"exemption HTTPS", exempt, packet{oif: "eth0", proto: TCP, dst: "203.0.113.7", dport: 443}, Accept},
		{"exemption DNS", exempt, packet{oif: "eth0", proto: UDP, dst: "203.0.113.53", dport: 53}, Accept},
		{"exemption, not other UDP", exempt, packet{oif: "eth0", proto: UDP, dst: "203.0.113.7", dport: 9999}, Reject},
		{"v6 block: IPv6 internet", v6only, packet{oif: "eth0", proto: TCP, dst: "2001:db8::1", dport: 443}, Reject},
		{"v6 block: IPv6 link-local", v6only, packet{oif: "eth0", proto: UDP, dst: "fe80::1", dport: 5353}, Accept},
		{"v6 block: NDP", v6only, packet{oif: "eth0", proto: ICMPv6, dst: "fe80::1", icmpType: 136}, Accept},
		{"v6 block: IPv4 internet", v6only, packet{oif: "eth0", proto: TCP, dst: "203.0.113.7", dport: 443}, Accept},
		{"v6 block: IPv4 DNS", v6only, packet{oif: "eth0", proto: UDP, dst: "203.0.113.53", dport: 53}, Accept},
		{"v6 block: the tunnel", v6only, packet{oif: "svpn0", proto: TCP, dst: "fd00::5", dport: 443}, Accept},
		{"nothing: no rules", Policy{}, packet{oif: "eth0", proto: TCP, dst: "2001:db8::1", dport: 443}, Accept},
	} {
		if got := decide(Plan(c.p), c.pk); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestPlanClampsMSS(t *testing.T) {
	var clamps []Rule
	for _, r := range Plan(Policy{Interface: "svpn0", MTU: 1280}) {
		if r.Action == ClampMSS {
			clamps = append(clamps, r)
		} else {
			t.Errorf("a tunnel without kill switch or IPv6 block gets %+v", r)
		}
	}
	if len(clamps) != 2 || clamps[0].MSS != 1240 || clamps[0].OutInterface != "svpn0" || clamps[1].InInterface != "svpn0" {
		t.Fatalf("clamp rules %+v", clamps)
	}
}

func TestPolicyValidate(t *testing.T) {
	good := testPolicy
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		f    func(*Policy)
	}{
		{"interface with a quote", func(p *Policy) { p.Interface = `svpn0" accept` }},
		{"interface with a space", func(p *Policy) { p.Interface = "svpn 0" }},
		{"interface with a brace", func(p *Policy) { p.Interface = "svpn}" }},
		{"interface too long", func(p *Policy) { p.Interface = strings.Repeat("a", 16) }},
		{"LAN /0", func(p *Policy) { p.LAN = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")} }},
		{"LAN ::/0", func(p *Policy) { p.LAN = []netip.Prefix{netip.MustParsePrefix("::/0")} }},
		{"LAN of public addresses", func(p *Policy) { p.LAN = []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")} }},
		{"LAN wider than the private range", func(p *Policy) { p.LAN = []netip.Prefix{netip.MustParsePrefix("172.0.0.0/8")} }},
		{"LAN of global IPv6", func(p *Policy) { p.LAN = []netip.Prefix{netip.MustParsePrefix("2001:db8::/64")} }},
		{"endpoint without port", func(p *Policy) {
			p.Endpoints = []Endpoint{{UDP, netip.AddrPortFrom(netip.MustParseAddr("192.0.2.1"), 0)}}
		}},
		{"endpoint unspecified", func(p *Policy) { p.Endpoints = []Endpoint{{UDP, netip.MustParseAddrPort("0.0.0.0:51820")}} }},
		{"endpoint ICMP", func(p *Policy) { p.Endpoints = []Endpoint{{ICMPv6, netip.MustParseAddrPort("192.0.2.1:1")}} }},
		{"DNS unspecified", func(p *Policy) { p.DNS = []netip.Addr{netip.IPv4Unspecified()} }},
		{"MTU", func(p *Policy) { p.MTU = 100 }},
	} {
		p := testPolicy
		p.Endpoints = slices.Clone(p.Endpoints)
		c.f(&p)
		if err := p.Validate(); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
}
