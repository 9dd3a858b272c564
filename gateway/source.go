package gateway

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/pires/go-proxyproto"
)

// sourceKey is the key of a client address for the per-source failure
// limit: an IPv4 address (also when written IPv4-mapped in IPv6) as
// itself, an IPv6 address as its /64, the smallest block a customer is
// usually given, so a client cannot rotate through its own /64 to escape
// the limit.
func sourceKey(addr netip.Addr) string {
	addr = addr.Unmap().WithZone("")
	if !addr.IsValid() {
		return ""
	}
	if addr.Is4() {
		return addr.String()
	}
	return netip.PrefixFrom(addr, 64).Masked().String()
}

// clientSource is the source key (sourceKey) of the client of r. Behind a
// trusted TCP load balancer, r.RemoteAddr is already the client's address
// from the PROXY protocol header (proxyListener). A RemoteAddr that is not
// an IP address is returned as it is.
func clientSource(r *http.Request) string {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return sourceKey(ap.Addr())
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return sourceKey(a)
	}
	return host
}

// parseTrustedProxies parses trusted_proxies: CIDRs or single addresses.
func parseTrustedProxies(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("%q is neither a CIDR nor an address", s)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		if p != p.Masked() {
			return nil, fmt.Errorf("%q has host bits set; did you mean %s?", s, p.Masked())
		}
		if a := p.Addr(); a.Is4In6() {
			if p.Bits() < 96 {
				return nil, fmt.Errorf("%q: an IPv4-mapped prefix shorter than /96", s)
			}
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		out = append(out, p)
	}
	return out, nil
}

// proxyHeaderTimeout bounds how long a trusted proxy may take to send its
// PROXY header.
const proxyHeaderTimeout = 5 * time.Second

// proxyListener wraps the gateway's TCP listener, before TLS, to read the
// PROXY protocol (v1 and v2) from the trusted load balancers: their
// connections must start with a PROXY header, whose source address becomes
// the connection's RemoteAddr (and so http.Request.RemoteAddr). Any other
// peer is served directly; if it sends a PROXY header, the connection fails
// on its first read and is closed. With no trusted proxy, ln is returned
// unwrapped: a PROXY header is then just bytes that are not TLS.
func proxyListener(ln net.Listener, trusted []netip.Prefix) net.Listener {
	if len(trusted) == 0 {
		return ln
	}
	return &proxyproto.Listener{
		Listener:          ln,
		ReadHeaderTimeout: proxyHeaderTimeout,
		ConnPolicy: func(o proxyproto.ConnPolicyOptions) (proxyproto.Policy, error) {
			ap, err := netip.ParseAddrPort(o.Upstream.String())
			if err != nil {
				return proxyproto.REJECT, fmt.Errorf("%w: %v", proxyproto.ErrInvalidUpstream, err)
			}
			peer := ap.Addr().Unmap().WithZone("")
			for _, p := range trusted {
				if p.Contains(peer) {
					return proxyproto.REQUIRE, nil
				}
			}
			return proxyproto.REJECT, nil
		},
	}
}
