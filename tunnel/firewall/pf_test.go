package firewall

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestPFConf(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	p := testPolicy
	p.Interface = "utun4"
	p.LAN = []netip.Prefix{netip.MustParsePrefix("192.168.1.0/24")}
	p.ExemptUntil = now.Add(time.Minute)
	got := pfConf(p, Plan(p), now)
	want := `# SVPN always-on rules (kill switch true, IPv6 block false); replaced as a whole by svpnd
scrub out on utun4 proto tcp all max-mss 1380 # clamp TCP MSS to the tunnel MTU
scrub in on utun4 proto tcp all max-mss 1380 # clamp TCP MSS of SYNs from the tunnel
pass out quick on lo0 all # loopback
pass out quick proto tcp from any to any port { 53 80 443 } # captive portal exemption: HTTP, HTTPS and DNS
pass out quick proto udp from any to any port 53 # captive portal exemption: DNS
# (not on macOS: svpnd's captive portal probe: HTTP and DNS)
# (not on macOS: svpnd's captive portal probe: DNS)
pass out quick on utun4 inet proto udp from any to 10.77.0.1 port 53 # DNS to the tunnel's resolvers
pass out quick on utun4 inet proto tcp from any to 10.77.0.1 port 53 # DNS to the tunnel's resolvers
block return out quick proto udp from any to any port 53 # no other DNS
block return out quick proto tcp from any to any port 53 # no other DNS
pass out quick on utun4 all # the tunnel
pass out quick inet proto tcp from any to 192.0.2.1 port 443 # the gateway (tcp)
pass out quick inet proto udp from any to 192.0.2.1 port 51820 # the gateway (udp)
pass out quick inet proto udp from any port 68 to any port 67 # DHCP
pass out quick inet6 proto udp from any port 546 to any port 547 # DHCPv6
pass out quick inet6 proto icmp6 all icmp6-type { 133 134 135 136 137 143 } # NDP
pass out quick inet from any to 192.168.1.0/24 # the local network (allowed by policy)
block return out quick all # kill switch: nothing else
`
	if got != want {
		t.Fatalf("anchor:\n%s\nwant:\n%s", got, want)
	}
	// Once the exemption lapses it is not in the text.
	if later := pfConf(p, Plan(p), now.Add(2*time.Minute)); strings.Contains(later, "exemption") {
		t.Fatalf("a lapsed exemption is still in the anchor:\n%s", later)
	}
	v6 := pfConf(Policy{BlockIPv6: true, Interface: "utun4"}, Plan(Policy{BlockIPv6: true, Interface: "utun4"}), now)
	for _, line := range []string{
		"pass out quick inet6 from any to { fe80::/10 ff02::/16 } # IPv6 on the link",
		"block return out quick inet6 all # no IPv6 around the tunnel",
	} {
		if !strings.Contains(v6, line+"\n") {
			t.Errorf("IPv6 block lacks %q:\n%s", line, v6)
		}
	}
	if strings.Contains(v6, "block return out quick all") {
		t.Errorf("IPv6 block blocks IPv4:\n%s", v6)
	}
}
