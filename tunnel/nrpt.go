package tunnel

import (
	"net/netip"
	"slices"
	"strings"
)

// Split DNS on Windows is a rule in the Name Resolution Policy Table: the
// tunnel's search domains go to the tunnel's resolvers whatever the
// adapters' metrics say. A local rule is a registry key under
// nrptKeyPath ([MS-GPNRPT] 2.2.2: values Version, Name, GenericDNSServers,
// ConfigOptions; Comment and DisplayName as Add-DnsClientNrptRule writes
// them). Unlike the adapter's own DNS settings it outlives svpnd, so every
// rule svpnd writes is tagged twice: its key starts with nrptKeyPrefix and
// its Comment is nrptComment. A later start removes every rule so tagged
// (nrpt_windows.go); a rule of anyone else (a GPO, DirectAccess, another
// VPN) is never touched.

const (
	nrptKeyPath   = `SYSTEM\CurrentControlSet\Services\Dnscache\Parameters\DnsPolicyConfig`
	nrptKeyPrefix = "{SVPN-"
	nrptComment   = "SVPN split DNS: removed when the tunnel closes or svpnd starts again"
)

// nrptRule is one rule as svpnd writes it.
type nrptRule struct {
	Key     string   // subkey name under nrptKeyPath
	Names   []string // namespaces: ".example.go.kr" matches the domain and every name in it
	Servers string   // GenericDNSServers: the resolvers, ";"-separated
}

// nrptRuleFor is the rule for a tunnel's DNS: none (ok false) without
// search domains (the adapter's DNS settings are enough) or without
// resolvers.
func nrptRuleFor(ifname string, servers []netip.Addr, domains []string) (r nrptRule, ok bool) {
	var names []string
	for _, d := range domains {
		d = strings.ToLower(strings.Trim(strings.TrimSpace(d), "."))
		if d == "" {
			continue
		}
		if n := "." + d; !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	var srv []string
	for _, s := range servers {
		srv = append(srv, s.Unmap().String())
	}
	if len(names) == 0 || len(srv) == 0 {
		return nrptRule{}, false
	}
	return nrptRule{Key: nrptKey(ifname), Names: names, Servers: strings.Join(srv, ";")}, true
}

// nrptKey names the rule of the tunnel on ifname: one per adapter, so a
// new session replaces the rule of the last.
func nrptKey(ifname string) string {
	var b strings.Builder
	for _, c := range ifname {
		if c < 0x80 && (c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	return nrptKeyPrefix + b.String() + "}"
}

// nrptEntry is a rule found in the registry: its key and Comment.
type nrptEntry struct {
	Key     string
	Comment string
}

// nrptOurs reports whether a rule was written by svpnd: both tags, so a
// rule that merely looks like ours (an administrator's key named
// {SVPN-…}, a GPO rule with our comment pasted in) is left alone.
func nrptOurs(e nrptEntry) bool {
	return strings.HasPrefix(strings.ToUpper(e.Key), strings.ToUpper(nrptKeyPrefix)) && e.Comment == nrptComment
}

// nrptStale picks the keys to remove: svpnd's rules except keep (the
// tunnel that is up; "" at start, when none is).
func nrptStale(entries []nrptEntry, keep string) []string {
	var out []string
	for _, e := range entries {
		if nrptOurs(e) && !strings.EqualFold(e.Key, keep) {
			out = append(out, e.Key)
		}
	}
	return out
}
