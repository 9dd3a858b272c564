package engine

import (
	"log/slog"
	"net/netip"
	"slices"
	"testing"

	"github.com/opensvpn/svpn/tunnel/firewall"
)

func TestBlocksIPv6(t *testing.T) {
	for _, c := range []struct {
		routes []string
		want   bool
	}{
		{[]string{"10.77.0.0/24"}, true},                      // no IPv6 in the tunnel
		{[]string{"10.77.0.0/24", "fd00:77::/64"}, false},     // split, both families
		{[]string{"0.0.0.0/0"}, true},                         // full tunnel, IPv4 only
		{[]string{"0.0.0.0/0", "fd00:77::/64"}, true},         // full for IPv4, split for IPv6
		{[]string{"0.0.0.0/0", "::/0"}, false},                // full tunnel both ways: IPv6 is routed in
		{[]string{"fd00:77::/64"}, false},                     // IPv6 only
		{[]string{"::ffff:10.77.0.0/120", "fd00::/8"}, false}, // a mapped IPv4 prefix is IPv4
		{[]string{"::ffff:0.0.0.0/96", "fd00::/8"}, false},    // a mapped prefix is not a full tunnel unless /0
	} {
		var rs []netip.Prefix
		for _, r := range c.routes {
			rs = append(rs, netip.MustParsePrefix(r))
		}
		if got := blocksIPv6(rs); got != c.want {
			t.Errorf("%v: %v, want %v", c.routes, got, c.want)
		}
	}
}

// recordingFirewall holds the rules in memory.
type recordingFirewall struct {
	p     firewall.Policy
	owner string
	on    bool
}

func (f *recordingFirewall) Apply(p firewall.Policy, owner string) error {
	f.p, f.owner, f.on = p, owner, true
	return nil
}
func (f *recordingFirewall) Release() error { *f = recordingFirewall{}; return nil }
func (f *recordingFirewall) Policy() (firewall.Policy, string, bool) {
	return f.p, f.owner, f.on
}

// TestGuardEndpoint: when the gateway's endpoint moves, the kill switch
// lets the new one through and no longer the old one; the API stays.
func TestGuardEndpoint(t *testing.T) {
	old, moved := netip.MustParseAddrPort("192.0.2.1:51820"), netip.MustParseAddrPort("198.51.100.7:51820")
	apiEP := firewall.Endpoint{Proto: firewall.TCP, Addr: netip.MustParseAddrPort("192.0.2.1:443")}
	fw := &recordingFirewall{}
	fw.Apply(firewall.Policy{KillSwitch: true, Endpoints: []firewall.Endpoint{{Proto: firewall.UDP, Addr: old}, apiEP}}, "1000")
	e := &Engine{o: Options{Firewall: fw}, log: slog.New(slog.DiscardHandler)}
	e.guardEndpoint(old, moved)
	want := []firewall.Endpoint{apiEP, {Proto: firewall.UDP, Addr: moved}}
	if !slices.Equal(fw.p.Endpoints, want) || fw.owner != "1000" || !fw.p.KillSwitch {
		t.Fatalf("endpoints %v owner %q, want %v", fw.p.Endpoints, fw.owner, want)
	}
}
