package firewall

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// wfpDecide is WFP's meaning of a filter set within one sublayer: the
// heaviest matching filter decides; none matching permits.
func wfpDecide(fs []wfpFilter, pk packet) Action {
	dst := netip.MustParseAddr(pk.dst)
	best := -1
	for i, f := range fs {
		if (f.Layer == layerConnectV4) != dst.Is4() {
			continue
		}
		byField := map[wfpField][]wfpCondition{}
		for _, c := range f.Conditions {
			byField[c.Field] = append(byField[c.Field], c)
		}
		ok := true
		for field, cs := range byField {
			any := slices.ContainsFunc(cs, func(c wfpCondition) bool {
				switch field {
				case fieldLoopback:
					return pk.loopback
				case fieldLocalInterface:
					return c.Interface == pk.oif
				case fieldProtocol:
					return map[Proto]uint16{TCP: 6, UDP: 17, ICMPv6: 58}[pk.proto] == c.Value
				case fieldRemoteAddr:
					return c.Prefix.Contains(dst)
				case fieldRemotePort:
					return c.Value == pk.dport
				case fieldLocalPort:
					return c.Value == pk.sport
				case fieldICMPType:
					return c.Value == uint16(pk.icmpType)
				}
				return false
			})
			ok = ok && any
		}
		if ok && (best < 0 || f.Weight > fs[best].Weight) {
			best = i
		}
	}
	if best >= 0 && fs[best].Block {
		return Reject
	}
	return Accept
}

// TestWFPFiltersMeanThePlan: the filters decide every packet of the plan's
// test table the way the plan does (socket marks aside: WFP has none).
func TestWFPFiltersMeanThePlan(t *testing.T) {
	now := time.Now()
	withLAN := testPolicy
	withLAN.LAN = []netip.Prefix{netip.MustParsePrefix("192.168.1.0/24")}
	exempt := testPolicy
	exempt.ExemptUntil = now.Add(time.Minute)
	for _, p := range []Policy{testPolicy, withLAN, exempt, {BlockIPv6: true, Interface: "svpn0"}} {
		rules := Plan(p)
		fs := wfpFilters(p, rules, now)
		for _, pk := range []packet{
			{oif: "svpn0", proto: TCP, dst: "10.77.0.5", dport: 443},
			{oif: "eth0", proto: TCP, dst: "203.0.113.7", dport: 443},
			{oif: "eth0", proto: UDP, dst: "203.0.113.7", dport: 9999},
			{oif: "eth0", proto: TCP, dst: "2001:db8::1", dport: 80},
			{oif: "eth0", proto: UDP, dst: "192.0.2.1", dport: 51820},
			{oif: "eth0", proto: TCP, dst: "192.0.2.1", dport: 443},
			{oif: "eth0", proto: TCP, dst: "192.0.2.1", dport: 22},
			{oif: "lo", loopback: true, proto: UDP, dst: "127.0.0.1", dport: 53},
			{oif: "svpn0", proto: UDP, dst: "10.77.0.1", dport: 53},
			{oif: "svpn0", proto: UDP, dst: "10.77.0.9", dport: 53},
			{oif: "eth0", proto: UDP, dst: "203.0.113.53", dport: 53},
			{oif: "eth0", proto: UDP, dst: "255.255.255.255", sport: 68, dport: 67},
			{oif: "eth0", proto: ICMPv6, dst: "ff02::1:ff00:1", icmpType: 135},
			{oif: "eth0", proto: ICMPv6, dst: "fe80::1", icmpType: 128},
			{oif: "eth0", proto: TCP, dst: "192.168.1.20", dport: 631},
			{oif: "eth0", proto: UDP, dst: "fe80::1", dport: 5353},
			{oif: "svpn0", proto: TCP, dst: "fd00::5", dport: 443},
		} {
			if got, want := wfpDecide(fs, pk), decide(rules, pk); got != want {
				t.Errorf("policy %+v, packet %+v: WFP %v, plan %v", p, pk, got, want)
			}
		}
	}
}

func TestWFPFilters(t *testing.T) {
	now := time.Now()
	p := Policy{KillSwitch: true, Interface: "SVPN", MTU: 1420,
		Endpoints: []Endpoint{{UDP, netip.MustParseAddrPort("192.0.2.1:51820")}},
		DNS:       []netip.Addr{netip.MustParseAddr("10.77.0.1")}, ProbeMark: 1}
	var lines []string
	for _, f := range wfpFilters(p, Plan(p), now) {
		lines = append(lines, f.String())
	}
	got := strings.Join(lines, "\n")
	want := `v4 w=13 permit loopback # loopback
v6 w=13 permit loopback # loopback
v4 w=10 permit if=SVPN proto=17 to=10.77.0.1/32 port=53 # DNS to the tunnel's resolvers
v4 w=9 permit if=SVPN proto=6 to=10.77.0.1/32 port=53 # DNS to the tunnel's resolvers
v4 w=8 block proto=17 port=53 # no other DNS
v6 w=8 block proto=17 port=53 # no other DNS
v4 w=7 block proto=6 port=53 # no other DNS
v6 w=7 block proto=6 port=53 # no other DNS
v4 w=6 permit if=SVPN # the tunnel
v6 w=6 permit if=SVPN # the tunnel
v4 w=5 permit proto=17 to=192.0.2.1/32 port=51820 # the gateway (udp)
v4 w=4 permit proto=17 port=67 sport=68 # DHCP
v6 w=3 permit proto=17 port=547 sport=546 # DHCPv6
v6 w=2 permit proto=58 icmp=133 icmp=134 icmp=135 icmp=136 icmp=137 icmp=143 # NDP
v4 w=1 block # kill switch: nothing else
v6 w=1 block # kill switch: nothing else`
	if got != want {
		t.Fatalf("filters:\n%s\nwant:\n%s", got, want)
	}
}
