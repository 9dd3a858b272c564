//go:build linux

package firewall

import (
	"crypto/rand"
	"encoding/hex"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
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

func TestNftablesApply(t *testing.T) {
	fd, ns := testNetns(t)
	dir := t.TempDir()
	g, err := Open(Options{StateDir: dir, Table: "svpn_test", netnsFD: fd})
	if err != nil {
		t.Fatal(err)
	}
	if rs := run(t, ns, "nft", "list", "ruleset"); rs != "" {
		t.Fatalf("rules before any Apply:\n%s", rs)
	}
	p := testPolicy
	p.LAN = []netip.Prefix{netip.MustParsePrefix("192.168.1.0/24"), netip.MustParsePrefix("fd00:1::/64")}
	if err := g.Apply(p, "1000"); err != nil {
		t.Fatal(err)
	}
	rs := run(t, ns, "nft", "list", "ruleset")
	for _, want := range []string{
		"table inet svpn_test",
		"type filter hook output priority filter; policy accept;",
		`oifname "svpn0" tcp flags syn tcp option maxseg size > 1380 tcp option maxseg size set 1380`,
		"meta oiftype loopback",
		`oifname "svpn0" ip daddr 10.77.0.1 udp dport 53`,
		"udp dport 53 counter packets 0 bytes 0 reject with icmpx admin-prohibited",
		"ip daddr 192.0.2.1 udp dport 51820 counter packets 0 bytes 0 accept",
		"ip daddr 192.0.2.1 tcp dport 443 counter packets 0 bytes 0 accept",
		"ip daddr 192.168.1.0/24",
		"ip6 daddr fd00:1::/64",
		"meta mark 0x5356504e tcp dport 80",
		`counter packets 0 bytes 0 reject with icmpx admin-prohibited comment "kill switch: nothing else"`,
	} {
		if !strings.Contains(rs, want) {
			t.Errorf("ruleset lacks %q:\n%s", want, rs)
		}
	}
	// A second Apply replaces the table: the old rules do not linger.
	p2 := testPolicy
	p2.Endpoints = []Endpoint{{UDP, netip.MustParseAddrPort("198.51.100.1:51820")}}
	if err := g.Apply(p2, "1000"); err != nil {
		t.Fatal(err)
	}
	rs = run(t, ns, "nft", "list", "ruleset")
	if strings.Contains(rs, "192.0.2.1") || strings.Contains(rs, "192.168.1.0/24") || strings.Count(rs, "table inet svpn_test") != 1 {
		t.Fatalf("the old rules survived the replacement:\n%s", rs)
	}
	// A policy that cannot be written leaves the rules in force as they are.
	bad := p2
	bad.Interface = `svpn0" accept`
	if err := g.Apply(bad, "1000"); err == nil {
		t.Fatal("a bad interface name was accepted")
	}
	if again := run(t, ns, "nft", "list", "ruleset"); again != rs {
		t.Fatalf("a refused policy changed the rules:\n%s", again)
	}

	// svpnd restarts after a crash: the kill switch stays, without the
	// tunnel interface that went with the crashed process.
	g2, err := Open(Options{StateDir: dir, Table: "svpn_test", netnsFD: fd})
	if err != nil {
		t.Fatal(err)
	}
	if !g2.KillSwitch() {
		t.Fatal("the restarted guard does not know the kill switch")
	}
	if _, owner, _ := g2.Policy(); owner != "1000" {
		t.Fatalf("owner %q", owner)
	}
	rs = run(t, ns, "nft", "list", "ruleset")
	if !strings.Contains(rs, "kill switch: nothing else") || strings.Contains(rs, "svpn0") || !strings.Contains(rs, "198.51.100.1") {
		t.Fatalf("after restart:\n%s", rs)
	}
	if err := g2.Release(); err != nil {
		t.Fatal(err)
	}
	if rs := run(t, ns, "nft", "list", "ruleset"); rs != "" {
		t.Fatalf("rules after Release:\n%s", rs)
	}
	if _, err := os.Stat(filepath.Join(dir, stateFileName)); !os.IsNotExist(err) {
		t.Fatalf("state file after Release: %v", err)
	}
	if err := g2.Release(); err != nil {
		t.Fatalf("a second Release: %v", err)
	}
}

// TestNftablesCrashWithoutKillSwitch: what a crashed run left without a
// kill switch (the IPv6 block, the clamp) is removed at the next start.
func TestNftablesCrashWithoutKillSwitch(t *testing.T) {
	fd, ns := testNetns(t)
	dir := t.TempDir()
	g, err := Open(Options{StateDir: dir, Table: "svpn_test", netnsFD: fd})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Apply(Policy{BlockIPv6: true, Interface: "svpn0", MTU: 1420}, "1000"); err != nil {
		t.Fatal(err)
	}
	if rs := run(t, ns, "nft", "list", "ruleset"); !strings.Contains(rs, "no IPv6 around the tunnel") {
		t.Fatalf("IPv6 block missing:\n%s", rs)
	}
	g2, err := Open(Options{StateDir: dir, Table: "svpn_test", netnsFD: fd})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := g2.Policy(); ok {
		t.Fatal("a policy without kill switch survived the restart")
	}
	if rs := run(t, ns, "nft", "list", "ruleset"); rs != "" {
		t.Fatalf("leftovers after the restart:\n%s", rs)
	}
}

// TestNftablesOthersUntouched: the guard's table is its own; another
// table in the same namespace stays as it was through Apply and Release.
func TestNftablesOthersUntouched(t *testing.T) {
	fd, ns := testNetns(t)
	run(t, ns, "nft", "add", "table", "inet", "someone_else")
	run(t, ns, "nft", "add", "chain", "inet", "someone_else", "c", "{ type filter hook input priority 10; policy accept; }")
	before := run(t, ns, "nft", "list", "ruleset")
	g, err := Open(Options{StateDir: t.TempDir(), Table: "svpn_test", netnsFD: fd})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Apply(testPolicy, "0"); err != nil {
		t.Fatal(err)
	}
	if err := g.Release(); err != nil {
		t.Fatal(err)
	}
	if after := run(t, ns, "nft", "list", "ruleset"); after != before {
		t.Fatalf("another table changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// BenchmarkNftablesReplace: one atomic replacement of the whole kill
// switch table (what a reconnect, a new endpoint or an exemption costs).
func BenchmarkNftablesReplace(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root for a network namespace")
	}
	name := "svpn-fwb-" + hex.EncodeToString([]byte{byte(os.Getpid()), byte(os.Getpid() >> 8)})
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		b.Fatalf("ip netns add: %v\n%s", err, out)
	}
	defer exec.Command("ip", "netns", "del", name).Run()
	h, err := netns.GetFromName(name)
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	g, err := Open(Options{StateDir: b.TempDir(), Table: "svpn_bench", netnsFD: int(h)})
	if err != nil {
		b.Fatal(err)
	}
	p := testPolicy
	p.LAN = []netip.Prefix{netip.MustParsePrefix("192.168.1.0/24")}
	b.ResetTimer()
	for range b.N {
		if err := g.Apply(p, "0"); err != nil {
			b.Fatal(err)
		}
	}
}

// TestNftablesCorruptState: a state file that cannot be read leaves the
// rules in force and counts as a kill switch, which Release removes.
func TestNftablesCorruptState(t *testing.T) {
	fd, ns := testNetns(t)
	dir := t.TempDir()
	g, err := Open(Options{StateDir: dir, Table: "svpn_test", netnsFD: fd})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Apply(testPolicy, "1000"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, stateFileName), []byte("{half a fi"), 0o600); err != nil {
		t.Fatal(err)
	}
	g2, err := Open(Options{StateDir: dir, Table: "svpn_test", netnsFD: fd})
	if err != nil {
		t.Fatal(err)
	}
	if !g2.KillSwitch() {
		t.Fatal("an unreadable state does not count as a kill switch")
	}
	if rs := run(t, ns, "nft", "list", "ruleset"); !strings.Contains(rs, "kill switch: nothing else") {
		t.Fatalf("the rules went with the unreadable state:\n%s", rs)
	}
	if err := g2.Release(); err != nil {
		t.Fatal(err)
	}
	if rs := run(t, ns, "nft", "list", "ruleset"); rs != "" {
		t.Fatalf("rules after Release:\n%s", rs)
	}
	if _, err := os.Stat(filepath.Join(dir, stateFileName)); !os.IsNotExist(err) {
		t.Fatalf("the unreadable state file stayed: %v", err)
	}
}
