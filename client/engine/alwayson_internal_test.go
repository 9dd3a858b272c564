package engine

import (
	"net/netip"
	"testing"
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
