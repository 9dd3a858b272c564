//go:build linux

package firewall

import (
	"crypto/rand"
	"encoding/hex"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/vishvananda/netns"
)

// testNetns creates a network namespace for one test and returns its fd
// and a prefix that runs commands in it.
func testNetns(t *testing.T) (int, []string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for a network namespace and nftables (CI runs as root)")
	}
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("nft not installed; run make deps")
	}
	b := make([]byte, 4)
	rand.Read(b)
	name := "svpn-fw-" + hex.EncodeToString(b)
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	h, err := netns.GetFromName(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return int(h), []string{"ip", "netns", "exec", name}
}

func run(t *testing.T, prefix []string, args ...string) string {
	t.Helper()
	argv := append(append([]string{}, prefix...), args...)
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
	}
	return string(out)
}

var _ = runtime.GOOS

func TestNftablesApply(t *testing.T) {
	fd, ns := testNetns(t)
	g, err := Open(Options{StateDir: t.TempDir(), Table: "svpn_test", netnsFD: fd})
	if err != nil {
		t.Fatal(err)
	}
	p := Policy{KillSwitch: true, Interface: "svpn0", MTU: 1420,
		Endpoints: []Endpoint{{UDP, netip.MustParseAddrPort("192.0.2.1:51820")}, {TCP, netip.MustParseAddrPort("192.0.2.1:443")}},
		DNS:       []netip.Addr{netip.MustParseAddr("10.77.0.1")},
		LAN:       []netip.Prefix{netip.MustParsePrefix("192.168.1.0/24"), netip.MustParsePrefix("fd00:1::/64")},
		ProbeMark: 0x5350}
	if err := g.Apply(p, "1000"); err != nil {
		t.Fatal(err)
	}
	t.Log(run(t, ns, "nft", "list", "ruleset"))
}
