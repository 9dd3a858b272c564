package firewall

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// DefaultAnchor is the PF anchor svpnd owns on macOS. macOS's own
// /etc/pf.conf evaluates every anchor under com.apple/ (filter and scrub),
// so the rules take effect without editing the main ruleset.
const DefaultAnchor = "com.apple/svpn"

// pfConf is the PF anchor text that enforces rules (macOS): scrub rules
// first, as PF wants them, then filter rules with quick, so the first
// match decides as Plan means it. Socket marks do not exist in PF: the
// probe's exemption is left out (the probe then sees the kill switch's
// refusal, and says "unreachable"). The captive-portal exemption is in the
// text only while it lasts; svpnd rewrites the anchor when it ends.
func pfConf(p Policy, rules []Rule, now time.Time) string {
	var scrub, filter strings.Builder
	fmt.Fprintf(&scrub, "# SVPN always-on rules (kill switch %v, IPv6 block %v); replaced as a whole by svpnd\n", p.KillSwitch, p.BlockIPv6)
	for _, r := range rules {
		if r.Exemption && !p.ExemptUntil.After(now) {
			continue
		}
		if r.Mark != 0 {
			fmt.Fprintf(&filter, "# (not on macOS: %s)\n", r.Why)
			continue
		}
		if r.Action == ClampMSS {
			dir, ifn := "out", r.OutInterface
			if r.InInterface != "" {
				dir, ifn = "in", r.InInterface
			}
			fmt.Fprintf(&scrub, "scrub %s on %s proto tcp all max-mss %d # %s\n", dir, ifn, r.MSS, r.Why)
			continue
		}
		var b strings.Builder
		if r.Action == Reject {
			b.WriteString("block return out quick")
		} else {
			b.WriteString("pass out quick")
		}
		switch {
		case r.Loopback:
			b.WriteString(" on lo0")
		case r.OutInterface != "":
			b.WriteString(" on " + r.OutInterface)
		}
		fam := r.Family
		if len(r.Dst) > 0 {
			fam = familyOf(r.Dst[0].Addr())
		}
		if r.Proto == ICMPv6 {
			fam = IPv6
		}
		switch fam {
		case IPv4:
			b.WriteString(" inet")
		case IPv6:
			b.WriteString(" inet6")
		}
		switch r.Proto {
		case TCP, UDP:
			b.WriteString(" proto " + string(r.Proto))
		case ICMPv6:
			b.WriteString(" proto icmp6")
		}
		if r.SrcPort != 0 {
			fmt.Fprintf(&b, " from any port %d", r.SrcPort)
		} else if len(r.Dst) > 0 || len(r.DstPorts) > 0 {
			b.WriteString(" from any")
		}
		if len(r.Dst) > 0 {
			b.WriteString(" to " + pfList(r.Dst, func(p netip.Prefix) string {
				if p.IsSingleIP() {
					return p.Addr().String()
				}
				return p.String()
			}))
		} else if len(r.DstPorts) > 0 || r.SrcPort != 0 {
			b.WriteString(" to any")
		} else {
			b.WriteString(" all")
		}
		if len(r.DstPorts) > 0 {
			b.WriteString(" port " + pfList(r.DstPorts, func(p uint16) string { return fmt.Sprint(p) }))
		}
		if len(r.ICMPTypes) > 0 {
			b.WriteString(" icmp6-type " + pfList(r.ICMPTypes, func(t uint8) string { return fmt.Sprint(t) }))
		}
		fmt.Fprintf(&filter, "%s # %s\n", b.String(), r.Why)
	}
	return scrub.String() + filter.String()
}

func pfList[T any](xs []T, f func(T) string) string {
	if len(xs) == 1 {
		return f(xs[0])
	}
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = f(x)
	}
	return "{ " + strings.Join(parts, " ") + " }"
}
