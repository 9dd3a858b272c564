// Package nettest helps tests that build their own networks (network
// namespaces, veth pairs) choose addresses that cannot disturb the host's.
package nettest

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// FreeSubnet picks a random IPv4 /bits inside within that overlaps no
// address or route of the host (read with `ip`), so a test's veth pair or
// tunnel pool never shadows a real network.
func FreeSubnet(t testing.TB, within netip.Prefix, bits int) netip.Prefix {
	t.Helper()
	var used []netip.Prefix
	for _, args := range [][]string{{"-4", "-o", "addr", "show"}, {"-4", "route", "show", "table", "all"}} {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		for _, f := range strings.Fields(string(out)) {
			if p, err := netip.ParsePrefix(f); err == nil {
				used = append(used, p.Masked())
			} else if a, err := netip.ParseAddr(f); err == nil {
				used = append(used, netip.PrefixFrom(a, a.BitLen()))
			}
		}
	}
	n := int64(1) << (bits - within.Bits())
	for range 100 {
		i, _ := rand.Int(rand.Reader, big.NewInt(n))
		base := within.Masked().Addr().As4()
		v := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
		v += uint32(i.Int64()) << (32 - bits)
		cand := netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), bits)
		free := true
		for _, u := range used {
			if u.Overlaps(cand) {
				free = false
				break
			}
		}
		if free {
			return cand
		}
	}
	t.Fatalf("no free /%d in %v", bits, within)
	return netip.Prefix{}
}

// Nth returns the n-th address of p (Nth(p, 1) is the first host).
func Nth(p netip.Prefix, n int) netip.Addr {
	a := p.Masked().Addr()
	for range n {
		a = a.Next()
	}
	return a
}

// Get fetches url with GET over connections made by dial (a tunnel's
// dialer, a proxy's), one fresh connection per call, and returns the body
// of a 200 answer.
func Get(ctx context.Context, dial func(context.Context, string, string) (net.Conn, error), url string) (string, error) {
	hc := &http.Client{Transport: &http.Transport{DialContext: dial, DisableKeepAlives: true}}
	defer hc.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %s", resp.Status)
	}
	return string(b), nil
}
