//go:build linux

package wgdevice

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

// TestInteropUpstream checks the gateway device against WireGuard software
// no one here wrote: upstream wireguard-go on a kernel TUN in a network
// namespace, configured by Debian's wg and ip, fetching the portal with curl
// from the gateway's netstack.
func TestInteropUpstream(t *testing.T) {
	requireRoot(t, "ip", "wg")
	wgBin := buildUpstreamWireGuard(t)
	peer := newNSPeer(t, wgBin)

	gwAddr := netip.MustParsePrefix("10.77.0.1/24")
	gw, _ := newNetstackDevice(t, mustKey(t), gwAddr)
	servePortal(t, gw.Net(), gwAddr.Addr())

	clientAddr := netip.MustParsePrefix("10.77.0.9/24")
	peer.connect(t, gw.PublicKey(), gw.ListenPort(), gwAddr.Addr(), clientAddr)
	if err := gw.AddPeer(peer.priv.Public(), clientAddr.Addr()); err != nil {
		t.Fatal(err)
	}
	url := "http://" + gwAddr.Addr().String() + "/"
	body, err := peer.fetch(url, 5*time.Second)
	if err != nil || !strings.Contains(body, portalText) {
		t.Fatalf("fetch from the namespace: %q, %v", body, err)
	}
	p := findPeer(t, gw, peer.priv.Public())
	if p.LastHandshake.IsZero() || p.RxBytes == 0 || p.TxBytes == 0 {
		t.Errorf("peer stats = %+v, want a handshake and traffic", p)
	}
	if p.Endpoint.Addr() != peer.nsIP {
		t.Errorf("Endpoint = %v, want the namespace's address %v", p.Endpoint, peer.nsIP)
	}
	// What the upstream side saw.
	show := run(t, "ip", "netns", "exec", peer.ns, "wg", "show", peer.ifname, "latest-handshakes")
	if !strings.Contains(show, gw.PublicKey().String()) || strings.Contains(show, "\t0\n") {
		t.Errorf("wg show latest-handshakes:\n%s", show)
	}

	if err := gw.RemovePeer(peer.priv.Public()); err != nil {
		t.Fatal(err)
	}
	if body, err := peer.fetch(url, 2*time.Second); err == nil {
		t.Fatalf("fetch after RemovePeer succeeded: %q", body)
	}
}

// TestTUNMode creates the device on a kernel TUN in the root namespace
// under a random name, checks the link, its address and the NAT table, runs
// traffic through it from upstream wireguard-go when wg is installed, and
// checks that Close removes the link and the table.
func TestTUNMode(t *testing.T) {
	requireRoot(t, "ip")
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		t.Skipf("skipped: no /dev/net/tun: %v", err)
	}
	id := randomID(t)
	name := "svt" + id
	table := "svpn_test_" + id
	_, nftErr := exec.LookPath("nft")
	pool := freeSubnet(t, netip.MustParsePrefix("10.201.0.0/16"), 24)
	gwAddr := netip.PrefixFrom(nth(pool, 1), 24)

	t.Cleanup(func() {
		runErr("ip", "link", "del", name)
		if nftErr == nil {
			runErr("nft", "delete", "table", "ip", table)
		}
	})
	logs := new(syncBuffer)
	d, err := New(Config{
		Mode:       ModeTUN,
		PrivateKey: mustKey(t),
		Address:    gwAddr,
		TUNName:    name,
		NAT:        nftErr == nil,
		natTable:   table,
		Logger:     slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatalf("New in tun mode: %v", err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			d.Close()
		}
	})
	if d.Net() != nil {
		t.Error("Net() is not nil in tun mode")
	}

	link, err := netlink.LinkByName(name)
	if err != nil {
		t.Fatalf("link %s: %v", name, err)
	}
	if link.Attrs().Flags&net.FlagUp == 0 {
		t.Errorf("link %s is not up", name)
	}
	if link.Attrs().MTU != DefaultMTU {
		t.Errorf("MTU = %d, want %d", link.Attrs().MTU, DefaultMTU)
	}
	addrs, err := netlink.AddrList(link, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	if len(addrs) != 1 || addrs[0].IPNet.String() != gwAddr.String() {
		t.Errorf("addresses of %s = %v, want %v", name, addrs, gwAddr)
	}
	if nftErr == nil {
		rules := run(t, "nft", "list", "table", "ip", table)
		if !strings.Contains(rules, "masquerade") || !strings.Contains(rules, pool.String()) || !strings.Contains(rules, name) {
			t.Errorf("nft table %s:\n%s", table, rules)
		}
		// The MSS clamp: TCP through the tunnel fits its MTU both ways.
		for _, dir := range []string{"oifname", "iifname"} {
			clamp := fmt.Sprintf("tcp option maxseg size set %d", DefaultMTU-40)
			found := false
			for _, line := range strings.Split(rules, "\n") {
				found = found || strings.Contains(line, fmt.Sprintf("%s %q", dir, name)) && strings.Contains(line, "syn") && strings.Contains(line, clamp)
			}
			if !found {
				t.Errorf("nft table %s has no %s clamp (%s):\n%s", table, dir, clamp, rules)
			}
		}
	} else {
		t.Log("nft not installed: NAT not checked")
	}

	t.Run("traffic", func(t *testing.T) {
		requireRoot(t, "wg")
		peer := newNSPeer(t, buildUpstreamWireGuard(t))
		// The host's own stack answers on the TUN's address in this mode.
		ln, err := net.Listen("tcp", netip.AddrPortFrom(gwAddr.Addr(), 0).String())
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: portalHandler(), ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(ln)
		defer srv.Close()

		clientAddr := netip.PrefixFrom(nth(pool, 9), 24)
		peer.connect(t, d.PublicKey(), d.ListenPort(), gwAddr.Addr(), clientAddr)
		if err := d.AddPeer(peer.priv.Public(), clientAddr.Addr()); err != nil {
			t.Fatal(err)
		}
		url := fmt.Sprintf("http://%v/", ln.Addr())
		if body, err := peer.fetch(url, 5*time.Second); err != nil || !strings.Contains(body, portalText) {
			t.Fatalf("fetch through the TUN: %q, %v", body, err)
		}
	})

	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	closed = true
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := netlink.LinkByName(name)
		var notFound netlink.LinkNotFoundError
		if errors.As(err, &notFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("link %s still there after Close (err %v)", name, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if nftErr == nil {
		if out, err := runErr("nft", "list", "table", "ip", table); err == nil {
			t.Fatalf("nft table %s still there after Close:\n%s", table, out)
		}
	}
	if t.Failed() {
		t.Logf("device log:\n%s", logs)
	}
}

// TestTUNModeWithoutPrivilege checks the error an unprivileged user gets,
// which the gateway shows when started without root.
func TestTUNModeWithoutPrivilege(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("skipped: runs only without root (as root, TestTUNMode covers tun mode)")
	}
	d, err := New(Config{Mode: ModeTUN, PrivateKey: mustKey(t), Address: testPool, TUNName: "svt" + randomID(t)})
	if err == nil {
		d.Close()
		t.Skip("skipped: this user may create TUN devices (CAP_NET_ADMIN)")
	}
	if !strings.Contains(err.Error(), "CAP_NET_ADMIN") {
		t.Fatalf("error %q does not say what privilege is missing", err)
	}
}

// TestNATReplacesStaleTable: a gateway restarted after a crash finds its
// old table and must end up with exactly one rule, not fail or duplicate.
func TestNATReplacesStaleTable(t *testing.T) {
	requireRoot(t, "nft")
	table := "svpn_test_" + randomID(t)
	t.Cleanup(func() { runErr("nft", "delete", "table", "ip", table) })
	pool := netip.MustParsePrefix("10.77.0.0/24")
	if _, err := addNAT(table, pool, "svptest0", 1420, true); err != nil {
		t.Fatal(err)
	}
	r, err := addNAT(table, pool, "svptest0", 1420, true)
	if err != nil {
		t.Fatalf("second addNAT: %v", err)
	}
	if out := run(t, "nft", "list", "table", "ip", table); strings.Count(out, "masquerade") != 1 || strings.Count(out, "maxseg size set 1380") != 2 {
		t.Fatalf("want one masquerade rule and two clamps:\n%s", out)
	}
	if err := r.remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := runErr("nft", "list", "table", "ip", table); err == nil {
		t.Fatal("table still there after remove")
	}
}
