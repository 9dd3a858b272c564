package tunnel

import (
	"net/netip"
	"slices"
	"strings"
	"time"

	"golang.zx2c4.com/wireguard/conn"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/wgkey"
)

// DefaultMTU is what wg-quick uses: 1500 minus the IPv6, UDP and WireGuard
// overhead, so the encrypted packets fit any path that carries 1500 bytes.
const DefaultMTU = 1420

// Limits on what a gateway may push. They keep a broken or hostile gateway
// configuration from making the client write absurd routing tables or
// resolv.conf files.
const (
	maxRoutes        = 1024
	maxDNSServers    = 8
	maxSearchDomains = 16
	maxKeepalive     = 65535 * time.Second // the UAPI field is 16 bits of seconds
)

// Config is a tunnel as the gateway hands it out at login.
type Config struct {
	PrivateKey      wgkey.Private
	Address         netip.Prefix   // the client's tunnel address, e.g. 10.77.0.2/32
	ServerPublicKey wgkey.Public   // the gateway's WireGuard key
	Endpoint        netip.AddrPort // the gateway's WireGuard UDP endpoint, already resolved
	// Keepalive makes the client send a packet at least this often, which
	// keeps NAT mappings on the way to the gateway open. Zero disables it.
	// WireGuard counts it in whole seconds.
	Keepalive time.Duration
	// Routes is the split tunnel: only these prefixes go through the
	// tunnel; they are also the peer's allowed IPs, so the gateway cannot
	// send packets from anywhere else.
	Routes        []netip.Prefix
	DNS           []netip.Addr // resolvers inside the tunnel
	SearchDomains []string     // e.g. "intra.go.kr"
	MTU           int          // default DefaultMTU
	// Bind is how WireGuard packets leave: nil for UDP (conn.NewDefaultBind),
	// or a bind that can also carry them over TCP (streambind.Client).
	Bind conn.Bind
}

// withDefaults checks c and returns a copy with the defaults filled in and
// the routes in canonical (masked) form. The copy shares no slices with c.
func (c Config) withDefaults() (Config, error) {
	bad := func(format string, args ...any) (Config, error) {
		return Config{}, api.Errorf(api.CodeTunnelConfig, "tunnel: "+format, args...)
	}
	if c.PrivateKey.IsZero() {
		return bad("no private key")
	}
	if c.ServerPublicKey.IsZero() {
		return bad("no server public key")
	}
	if c.ServerPublicKey == c.PrivateKey.Public() {
		return bad("the server public key is the client's own")
	}
	if !c.Address.IsValid() || c.Address.Addr().Zone() != "" || c.Address.Addr().IsUnspecified() {
		return bad("invalid tunnel address %v", c.Address)
	}
	if !c.Endpoint.IsValid() || c.Endpoint.Port() == 0 || c.Endpoint.Addr().IsUnspecified() {
		return bad("invalid endpoint %v", c.Endpoint)
	}
	// An IPv4-mapped IPv6 endpoint is an IPv4 endpoint; routes are compared
	// against it, so spell it the way the routing table does.
	c.Endpoint = netip.AddrPortFrom(c.Endpoint.Addr().Unmap(), c.Endpoint.Port())
	if c.Keepalive < 0 || c.Keepalive > maxKeepalive {
		return bad("keepalive %v out of range 0–%v", c.Keepalive, maxKeepalive)
	}
	if c.MTU == 0 {
		c.MTU = DefaultMTU
	}
	// 1280 is the least IPv6 allows; 65535 the most a TUN takes.
	if c.MTU < 1280 || c.MTU > 65535 {
		return bad("MTU %d out of range 1280–65535", c.MTU)
	}
	if len(c.Routes) == 0 {
		return bad("no routes: a split tunnel needs at least one prefix")
	}
	if len(c.Routes) > maxRoutes || len(c.DNS) > maxDNSServers || len(c.SearchDomains) > maxSearchDomains {
		return bad("too many routes (%d, max %d), DNS servers (%d, max %d) or search domains (%d, max %d)",
			len(c.Routes), maxRoutes, len(c.DNS), maxDNSServers, len(c.SearchDomains), maxSearchDomains)
	}
	routes := make([]netip.Prefix, 0, len(c.Routes))
	for _, p := range c.Routes {
		if !p.IsValid() || p.Addr().Zone() != "" {
			return bad("invalid route %v", p)
		}
		if p = p.Masked(); !slices.Contains(routes, p) {
			routes = append(routes, p)
		}
	}
	c.Routes = routes
	dns := make([]netip.Addr, 0, len(c.DNS))
	for _, a := range c.DNS {
		if !a.IsValid() || a.IsUnspecified() || a.Zone() != "" {
			return bad("invalid DNS server %v", a)
		}
		dns = append(dns, a.Unmap())
	}
	c.DNS = dns
	domains := make([]string, 0, len(c.SearchDomains))
	for _, d := range c.SearchDomains {
		d = strings.ToLower(strings.TrimSuffix(d, "."))
		if !isDomainName(d) {
			// %q: the value may hold a newline meant to smuggle a line
			// into resolv.conf; it must show as such in the log.
			return bad("invalid search domain %q", d)
		}
		if !slices.Contains(domains, d) {
			domains = append(domains, d)
		}
	}
	c.SearchDomains = domains
	return c, nil
}

// routed reports whether the tunnel carries traffic to a.
func (c *Config) routed(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range c.Routes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// isDomainName reports whether s is a DNS name made of letters, digits and
// hyphens (RFC 1123 host name syntax; underscores too, which internal zones
// use). Search domains end up in resolv.conf and in commands, so anything
// else (spaces, newlines, quotes) is refused rather than escaped.
func isDomainName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			switch ch := label[i]; {
			case 'a' <= ch && ch <= 'z', '0' <= ch && ch <= '9', ch == '-', ch == '_':
			default:
				return false
			}
		}
	}
	return true
}
