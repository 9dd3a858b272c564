package e2e

import (
	"net/netip"

	"crypto/rand"
	"encoding/hex"
	"github.com/opensvpn/svpn/internal/nettest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
)

// netns is a network namespace with a veth link to the root namespace,
// created for one test and removed after it.
type netns struct {
	name         string
	hostIP, nsIP string
	resolvConf   string // /etc/netns/<name>/resolv.conf, bind-mounted by ip netns exec
}

func sh(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func newNetns(t testing.TB) *netns {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for network namespaces and TUN devices (CI runs as root); the userspace test covers the rest")
	}
	for _, tool := range []string{"ip", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed; run make deps", tool)
		}
	}
	b := make([]byte, 3)
	rand.Read(b)
	id := hex.EncodeToString(b)
	subnet := nettest.FreeSubnet(t, netip.MustParsePrefix("10.203.0.0/16"), 30)
	n := &netns{name: "svpn-e2e-" + id, hostIP: nettest.Nth(subnet, 1).String(), nsIP: nettest.Nth(subnet, 2).String()}
	host, peer := "ve"+id, "vp"+id
	sh(t, "ip", "netns", "add", n.name)
	t.Cleanup(func() {
		exec.Command("ip", "link", "del", host).Run()
		exec.Command("ip", "netns", "del", n.name).Run()
		os.RemoveAll(filepath.Join("/etc/netns", n.name))
	})
	sh(t, "ip", "link", "add", host, "type", "veth", "peer", "name", peer)
	sh(t, "ip", "link", "set", peer, "netns", n.name)
	sh(t, "ip", "addr", "add", n.hostIP+"/30", "dev", host)
	sh(t, "ip", "link", "set", host, "up")
	sh(t, "ip", "netns", "exec", n.name, "ip", "addr", "add", n.nsIP+"/30", "dev", peer)
	sh(t, "ip", "netns", "exec", n.name, "ip", "link", "set", peer, "up")
	sh(t, "ip", "netns", "exec", n.name, "ip", "link", "set", "lo", "up")
	sh(t, "ip", "netns", "exec", n.name, "ip", "route", "add", "default", "via", n.hostIP)
	dir := filepath.Join("/etc/netns", n.name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	n.resolvConf = filepath.Join(dir, "resolv.conf")
	if err := os.WriteFile(n.resolvConf, []byte("# the namespace's own resolver\nnameserver 192.0.2.53\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return n
}

func (n *netns) prefix() []string { return []string{"ip", "netns", "exec", n.name} }

// snapshot is the namespace's routing and resolver state.
func (n *netns) snapshot(t testing.TB) string {
	t.Helper()
	routes := sh(t, "ip", "netns", "exec", n.name, "ip", "route", "show", "table", "all")
	// The kernel adds the veth's IPv6 link-local host route when duplicate
	// address detection ends, at a time of its own: not ours to compare.
	var kept []string
	for _, l := range strings.SplitAfter(routes, "\n") {
		if !(strings.HasPrefix(l, "local fe80::") && !strings.Contains(l, " dev svpn")) {
			kept = append(kept, l)
		}
	}
	routes = strings.Join(kept, "")
	links := sh(t, "ip", "netns", "exec", n.name, "ip", "-br", "link")
	resolv, _ := os.ReadFile(n.resolvConf)
	return "routes:\n" + routes + "links:\n" + links + "resolv.conf:\n" + string(resolv)
}

// TestNetnsEndToEnd runs svpnd as root with a kernel TUN inside a network
// namespace: login, the portal with curl, routes and DNS in place; then
// svpnd is killed with SIGKILL and restarted, and the namespace is exactly
// as before the login.
func TestNetnsEndToEnd(t *testing.T) {
	n := newNetns(t)
	dir := t.TempDir()
	// Ports 0: the gateway picks free ones and writes them to demo.json.
	start(t, nil, "svpn-gateway", "demo", "--dir", dir, "--listen", n.hostIP+":0",
		"--wg-port", "0", "--heartbeat", "1s", "--dns", "10.77.0.1")
	d := readDemo(t, dir)
	before := n.snapshot(t)

	sock := filepath.Join(dir, "svpnd.sock")
	state := filepath.Join(dir, "state")
	svpndArgs := []string{"run", "--socket", sock, "--profile", d.Profile, "--state-dir", state, "--tun", "svpn0"}
	svpnd := start(t, n.prefix(), "svpnd", svpndArgs...)
	eventually(t, 20*time.Second, "svpnd socket", func() bool {
		code, _ := runCmd(t, nil, "", "svpnctl", "--socket", sock, "status")
		return code == 0
	})
	code, out := runCmd(t, n.prefix(), d.InitialPassword+"\n"+d.CertPassword+"\nNetns-pass9!\n", "svpnctl", "--socket", sock,
		"login", "--user", d.UserID, "--cert", d.CertPath, "--password-stdin")
	if code != 0 {
		t.Fatalf("login: exit %d\n%s", code, out)
	}
	st := status(t, nil, sock)
	if st.State != api.StateConnected || st.Userspace {
		t.Fatalf("status %+v", st)
	}
	page := sh(t, "ip", "netns", "exec", n.name, "curl", "-s", "--max-time", "10", d.PortalURL)
	if !strings.Contains(page, "행정포탈") {
		t.Fatalf("portal through the TUN: %q", page)
	}
	during := n.snapshot(t)
	if !strings.Contains(during, "10.77.0.0/24 dev svpn0") {
		t.Fatalf("the pushed route is missing:\n%s", during)
	}
	if !strings.Contains(during, "10.77.0.1") || !strings.Contains(during, "intra.svpn.test") {
		t.Fatalf("the pushed DNS is missing (method %s):\n%s", st.DNSMethod, during)
	}

	// A crash: the routes and resolver stay behind until svpnd restarts.
	svpnd.Kill()
	start(t, n.prefix(), "svpnd", svpndArgs...) // stopped by the test's cleanup
	eventually(t, 20*time.Second, "svpnd restarted", func() bool {
		code, _ := runCmd(t, nil, "", "svpnctl", "--socket", sock, "status")
		return code == 0
	})
	if after := n.snapshot(t); after != before {
		t.Fatalf("the namespace was not restored after the crash.\nbefore:\n%s\nafter:\n%s", before, after)
	}

	// A clean login and logout leave nothing behind either.
	code, out = runCmd(t, n.prefix(), "Netns-pass9!\n"+d.CertPassword+"\n", "svpnctl", "--socket", sock,
		"login", "--user", d.UserID, "--cert", d.CertPath, "--password-stdin")
	if code != 0 {
		t.Fatalf("second login: exit %d\n%s", code, out)
	}
	if code, out := runCmd(t, nil, "", "svpnctl", "--socket", sock, "logout"); code != 0 {
		t.Fatalf("logout: exit %d\n%s", code, out)
	}
	if after := n.snapshot(t); after != before {
		t.Fatalf("logout left changes.\nbefore:\n%s\nafter:\n%s", before, after)
	}
}
