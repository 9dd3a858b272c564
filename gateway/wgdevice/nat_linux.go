//go:build linux

package wgdevice

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
	"time"
)

// nftTimeout bounds each nft run; it talks only to the local kernel.
const nftTimeout = 10 * time.Second

// natRule is the nftables table of the gateway's host rules: the TCP MSS
// clamp of the tunnel (always, in tun mode) and the pool's masquerade rule
// (with NAT). The table is the gateway's alone: creating it replaces a
// stale one left by a crashed gateway, and removing it removes every rule
// it holds.
//
// It goes through the nft command rather than netlink so that an
// administrator can read, reproduce and remove exactly what the gateway did
// with the same tool:
//
//	table ip svpn {
//		chain forward {
//			type filter hook forward priority mangle; policy accept;
//			oifname "svpn0" tcp flags syn / syn,rst tcp option maxseg size > 1380 tcp option maxseg size set 1380
//			iifname "svpn0" tcp flags syn / syn,rst tcp option maxseg size > 1380 tcp option maxseg size set 1380
//		}
//		chain postrouting {
//			type nat hook postrouting priority srcnat; policy accept;
//			ip saddr 10.77.0.0/24 oifname != "svpn0" masquerade
//		}
//	}
//
// The clamp keeps TCP between clients and the internal network inside the
// tunnel's MTU even where ICMP "fragmentation needed" is filtered on the
// way (a path MTU black hole stalls large downloads otherwise). Only
// address translation and the clamp are set up: a host whose forward chain
// drops traffic must also accept the pool's.
type natRule struct {
	family string // "ip" or "ip6"
	table  string
}

func addNAT(table string, pool netip.Prefix, ifname string, mtu int, nat bool) (*natRule, error) {
	r := &natRule{family: "ip", table: table}
	mss := mtu - 40
	if pool.Addr().Is6() {
		r.family, mss = "ip6", mtu-60
	}
	postrouting := ""
	if nat {
		postrouting = fmt.Sprintf(`
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		%[1]s saddr %[2]s oifname != %[3]q masquerade
	}`, r.family, pool, ifname)
	}
	// Declaring the table before deleting it makes the delete succeed when
	// there is nothing stale; nft -f applies the file as one transaction.
	script := fmt.Sprintf(`table %[1]s %[2]s
delete table %[1]s %[2]s
table %[1]s %[2]s {
	chain forward {
		type filter hook forward priority mangle; policy accept;
		oifname %[3]q tcp flags & (syn | rst) == syn tcp option maxseg size > %[4]d tcp option maxseg size set %[4]d
		iifname %[3]q tcp flags & (syn | rst) == syn tcp option maxseg size > %[4]d tcp option maxseg size set %[4]d
	}%[5]s
}
`, r.family, r.table, ifname, mss, postrouting)
	if err := nft(script, "-f", "-"); err != nil {
		return nil, fmt.Errorf("wgdevice: adding nftables table %s: %w", table, err)
	}
	return r, nil
}

func (r *natRule) remove() error {
	if err := nft("", "delete", "table", r.family, r.table); err != nil {
		return fmt.Errorf("wgdevice: removing NAT table %s: %w", r.table, err)
	}
	return nil
}

// nft runs the nft command with stdin and returns its error output with
// any failure.
func nft(stdin string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), nftTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "nft", args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return fmt.Errorf("nft %s: %w: %s", strings.Join(args, " "), err, msg)
		}
		return fmt.Errorf("nft %s: %w (is the nftables package installed?)", strings.Join(args, " "), err)
	}
	return nil
}
