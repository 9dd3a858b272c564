//go:build linux

package tunnel

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/opensvpn/svpn/internal/nettest"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/wgkey"
)

// The OS tunnel test runs the tunnel code in a network namespace of its
// own, so the host's routes and resolv.conf are never touched: the test
// binary re-executes itself under `ip netns exec`, which also gives the
// child a private mount namespace where /etc/netns/<ns>/resolv.conf is
// bind-mounted over /etc/resolv.conf. That is where the resolv.conf
// fallback is exercised (systemd-resolved cannot serve a namespace it does
// not live in). A veth pair joins the namespace to the root namespace,
// where the test's netstack gateway listens.
//
// Re-executing (rather than setns on a locked thread) keeps every thread
// of the tunnel, wireguard-go's included, inside the namespace, and makes
// a real SIGKILL possible for the recovery test.

const (
	childPhaseEnv  = "SVPN_TUNNEL_TEST_PHASE"
	childConfigEnv = "SVPN_TUNNEL_TEST_CONFIG"
	childReady     = "SVPN-TUNNEL-CHILD-READY"
	childTimeout   = 90 * time.Second
)

// childConfig is what the parent tells the child process.
type childConfig struct {
	PrivateKey      string         `json:"private_key"` // Base64Secret: a wgkey.Private refuses to marshal
	ServerPublicKey wgkey.Public   `json:"server_public_key"`
	Endpoint        netip.AddrPort `json:"endpoint"`
	EndpointRoute   netip.Prefix   `json:"endpoint_route"` // a pushed route that covers the endpoint
	Veth            string         `json:"veth"`           // the namespace's side
	StateDir        string         `json:"state_dir"`
	OrigResolvConf  string         `json:"orig_resolv_conf"`
}

func (c childConfig) tunnel() Config {
	priv, err := wgkey.ParsePrivate(c.PrivateKey)
	if err != nil {
		panic(err) // the parent wrote it
	}
	return Config{
		PrivateKey:      priv,
		Address:         clientAddr,
		ServerPublicKey: c.ServerPublicKey,
		Endpoint:        c.Endpoint,
		Keepalive:       25 * time.Second,
		Routes:          []netip.Prefix{tunnelNet, c.EndpointRoute},
		DNS:             []netip.Addr{gwDNS},
		SearchDomains:   []string{searchDomain},
	}
}

// TestOSTunnelLinux brings an OS tunnel up and down in a namespace, checks
// that failed starts change nothing, kills a running tunnel with SIGKILL
// and recovers what it left.
func TestOSTunnelLinux(t *testing.T) {
	if os.Getenv(childPhaseEnv) != "" {
		t.Skip("in a child process")
	}
	if os.Geteuid() != 0 {
		t.Skip("skipped: the OS tunnel test needs root to create a network namespace, a veth pair and a TUN (CI runs as root)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skipf("skipped: ip (iproute2) not found; scripts/deps.sh installs it: %v", err)
	}
	if _, err := os.Stat(tunClonePath); err != nil {
		t.Skipf("skipped: no TUN driver: %v", err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}

	id := randomID()
	ns := "svpn-tt-" + id
	vethRoot, vethNS := "svt"+id+"r", "svt"+id+"n"
	subnet := freeSubnet(t, netip.MustParsePrefix("10.201.0.0/16"), 30)
	rootIP, nsIP := subnet.Addr().Next(), subnet.Addr().Next().Next()

	mustRun(t, "ip", "netns", "add", ns)
	t.Cleanup(func() { runCmd("ip", "netns", "del", ns) })
	etcNetns := filepath.Join("/etc/netns", ns)
	if _, err := os.Stat("/etc/netns"); errors.Is(err, os.ErrNotExist) {
		t.Cleanup(func() { os.Remove("/etc/netns") }) // only if empty: another test may use it
	}
	t.Cleanup(func() { os.RemoveAll(etcNetns) })
	mustRun(t, "ip", "link", "add", vethRoot, "type", "veth", "peer", "name", vethNS, "netns", ns)
	t.Cleanup(func() { runCmd("ip", "link", "del", vethRoot) })
	mustRun(t, "ip", "addr", "add", fmt.Sprintf("%v/30", rootIP), "dev", vethRoot)
	mustRun(t, "ip", "link", "set", vethRoot, "up")
	mustRun(t, "ip", "-n", ns, "addr", "add", fmt.Sprintf("%v/30", nsIP), "dev", vethNS)
	mustRun(t, "ip", "-n", ns, "link", "set", vethNS, "up")
	mustRun(t, "ip", "-n", ns, "link", "set", "lo", "up")

	// ip netns exec bind-mounts this over /etc/resolv.conf in the child.
	origResolv := "# the namespace's own resolv.conf\nnameserver 198.51.100.53\nsearch example.org\noptions edns0\n"
	nsResolv := filepath.Join(etcNetns, "resolv.conf")
	if err := os.MkdirAll(etcNetns, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(nsResolv, []byte(origResolv), 0o644); err != nil {
		t.Fatal(err)
	}

	priv := mustKey(t)
	gw := startGateway(t, priv.Public())
	cc := childConfig{
		PrivateKey:      priv.Base64Secret(),
		ServerPublicKey: gw.pub,
		Endpoint:        netip.AddrPortFrom(rootIP, uint16(gw.port)),
		// More specific than the veth's /30: without the endpoint's host
		// route, WireGuard's own packets would go into the tunnel.
		EndpointRoute:  netip.PrefixFrom(rootIP, 31).Masked(),
		Veth:           vethNS,
		StateDir:       t.TempDir(),
		OrigResolvConf: origResolv,
	}
	child := func(ctx context.Context, phase string) *exec.Cmd {
		b, _ := json.Marshal(cc)
		cmd := exec.CommandContext(ctx, "ip", "netns", "exec", ns, self, "-test.run=^TestOSTunnelChild$", "-test.v",
			"-test.count=1", "-test.timeout="+childTimeout.String())
		cmd.Env = append(os.Environ(), childPhaseEnv+"="+phase, childConfigEnv+"="+string(b))
		return cmd
	}
	runChild := func(phase string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), childTimeout+10*time.Second)
		defer cancel()
		out, err := child(ctx, phase).CombinedOutput()
		t.Logf("child %s:\n%s", phase, out)
		if err != nil || !strings.Contains(string(out), "--- PASS: TestOSTunnelChild") {
			t.Fatalf("child %s failed: %v", phase, err)
		}
	}
	nsRoutes := func() string { return mustRun(t, "ip", "-n", ns, "route", "show", "table", "all") }

	t.Run("lifecycle", func(t *testing.T) { runChild("lifecycle") })
	t.Run("failed starts change nothing", func(t *testing.T) { runChild("conflict") })
	t.Run("no privileges", func(t *testing.T) { runChild("noprivs") })

	t.Run("SIGKILL then Recover", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), childTimeout)
		defer cancel()
		cmd := child(ctx, "crash")
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		lines := make(chan string)
		var out strings.Builder
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				out.WriteString(sc.Text() + "\n")
				if strings.Contains(sc.Text(), childReady) {
					lines <- sc.Text()
				}
			}
			exited <- cmd.Wait()
		}()
		select {
		case <-lines:
		case err := <-exited:
			t.Fatalf("crash child exited before it was up: %v\n%s%s", err, &out, &stderr)
		case <-ctx.Done():
			cmd.Process.Kill()
			t.Fatalf("crash child not up in time\n%s", &stderr)
		}
		// ip netns exec execs the test binary: this is the tunnel's process.
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		if err := <-exited; err == nil {
			t.Fatal("the killed child exited cleanly")
		}
		t.Logf("crash child, killed:\n%s%s", &out, &stderr)

		// What a crash leaves: the state file, the endpoint's host route on
		// the veth, the rewritten resolv.conf. The TUN went with the process.
		if _, err := os.Stat(statePath(cc.StateDir)); err != nil {
			t.Fatalf("no state file after the crash: %v", err)
		}
		if b, _ := os.ReadFile(nsResolv); !strings.HasPrefix(string(b), resolvConfMarker) {
			t.Fatalf("resolv.conf after the crash is not the tunnel's:\n%s", b)
		}
		if r := nsRoutes(); !strings.Contains(r, rootIP.String()+" dev "+vethNS) {
			t.Fatalf("the endpoint's host route did not outlive the crash (then this test proves nothing):\n%s", r)
		}

		runChild("recover")

		if b, _ := os.ReadFile(nsResolv); string(b) != origResolv {
			t.Errorf("resolv.conf after Recover:\n%s\nwant:\n%s", b, origResolv)
		}
		if r := nsRoutes(); strings.Contains(r, "svpn0") || strings.Contains(r, rootIP.String()+" dev") {
			t.Errorf("routes left after Recover:\n%s", r)
		}
		if _, err := runCmd("ip", "-n", ns, "link", "show", "svpn0"); err == nil {
			t.Error("svpn0 exists after Recover")
		}
		if entries, _ := os.ReadDir(cc.StateDir); len(entries) != 0 {
			t.Errorf("state directory not empty after Recover: %v", entries)
		}
	})
}

// TestOSTunnelChild is the part of TestOSTunnelLinux that runs inside the
// namespace; on its own it skips.
func TestOSTunnelChild(t *testing.T) {
	phase := os.Getenv(childPhaseEnv)
	if phase == "" {
		t.Skip("helper process of TestOSTunnelLinux")
	}
	var cc childConfig
	if err := json.Unmarshal([]byte(os.Getenv(childConfigEnv)), &cc); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts := OSOptions{StateDir: cc.StateDir, Logger: log}
	switch phase {
	case "lifecycle":
		childLifecycle(t, cc, opts)
	case "conflict":
		childConflict(t, cc, opts)
	case "noprivs":
		childNoPrivileges(t, cc)
	case "crash":
		tn, err := NewOS(cc.tunnel(), opts)
		if err != nil {
			t.Fatal(err)
		}
		fetchThroughOS(t, "http://10.77.0.1/")
		fmt.Fprintln(os.Stdout, childReady, tn.Interface())
		time.Sleep(childTimeout) // until the parent kills us; never Close
		t.Fatal("not killed")
	case "recover":
		childRecover(t, cc, opts)
	default:
		t.Fatalf("unknown phase %q", phase)
	}
}

func childLifecycle(t *testing.T, cc childConfig, opts OSOptions) {
	tn, err := NewOS(cc.tunnel(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer tn.Close()

	if tn.DNSMethod() != dnsResolvConf {
		t.Errorf("DNSMethod() = %q, want %q (no systemd-resolved in the namespace)", tn.DNSMethod(), dnsResolvConf)
	}
	if w := tn.Warnings(); len(w) != 1 || api.CodeOf(w[0]) != api.CodeTunnelDNSFallback {
		t.Errorf("Warnings() = %v, want one %s", w, api.CodeTunnelDNSFallback)
	}
	st, err := readState(cc.StateDir)
	if err != nil || st == nil {
		t.Fatalf("state file: %v, %v", st, err)
	}
	if st.Interface != "svpn0" || len(st.Routes) != 2 || st.EndpointRoute == nil ||
		st.EndpointRoute.Interface != cc.Veth || st.DNS.Method != dnsResolvConf || st.DNS.Backup == "" {
		t.Errorf("state file does not describe the changes: %+v", st)
	}

	routes := mustRun(t, "ip", "-4", "route", "show")
	for _, want := range []string{
		"10.77.0.0/24 dev svpn0",
		cc.EndpointRoute.String() + " dev svpn0",
		cc.Endpoint.Addr().String() + " dev " + cc.Veth,
	} {
		if !strings.Contains(routes, want) {
			t.Errorf("ip route lacks %q:\n%s", want, routes)
		}
	}
	if got := mustRun(t, "ip", "route", "get", cc.Endpoint.Addr().String()); !strings.Contains(got, "dev "+cc.Veth) {
		t.Errorf("the endpoint is routed into the tunnel: %s", got)
	}
	if got := mustRun(t, "ip", "-4", "addr", "show", "dev", "svpn0"); !strings.Contains(got, "10.77.0.2/32") || !strings.Contains(got, "UP") {
		t.Errorf("svpn0:\n%s", got)
	}

	resolv, _ := os.ReadFile("/etc/resolv.conf")
	rs := string(resolv)
	if !strings.HasPrefix(rs, resolvConfMarker) ||
		!strings.Contains(rs, "nameserver 10.77.0.53\nnameserver 198.51.100.53\n") ||
		!strings.Contains(rs, "search intra.go.kr example.org\n") || !strings.Contains(rs, "options edns0\n") {
		t.Errorf("/etc/resolv.conf with the tunnel up:\n%s", rs)
	}

	// Plain sockets through the kernel: by address, then by a short name
	// that only the tunnel's DNS server knows, found through the search
	// domain resolv.conf now lists.
	fetchThroughOS(t, "http://10.77.0.1/")
	fetchThroughOS(t, "http://portal/")

	s, err := tn.Stats()
	if err != nil || s.LastHandshake.IsZero() || s.RxBytes == 0 || s.Endpoint != cc.Endpoint.String() {
		t.Errorf("Stats() = %+v, %v", s, err)
	}
	// Re-pointing at the same gateway re-makes the endpoint's host route.
	if err := tn.UpdateEndpoint(cc.Endpoint); err != nil {
		t.Fatal(err)
	}
	if got := mustRun(t, "ip", "-4", "route", "show"); !strings.Contains(got, cc.Endpoint.Addr().String()+" dev "+cc.Veth) {
		t.Errorf("endpoint host route after UpdateEndpoint:\n%s", got)
	}
	fetchThroughOS(t, "http://10.77.0.1/")

	if err := tn.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tn.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	assertPristine(t, cc)
}

func childConflict(t *testing.T, cc childConfig, opts OSOptions) {
	// A local network already routes the office's prefix.
	mustRun(t, "ip", "route", "add", tunnelNet.String(), "dev", cc.Veth)
	_, err := NewOS(cc.tunnel(), opts)
	if api.CodeOf(err) != api.CodeTunnelRouteConflict {
		t.Errorf("NewOS with the route taken: %v, want %s", err, api.CodeTunnelRouteConflict)
	}
	if got := mustRun(t, "ip", "route", "show", tunnelNet.String()); !strings.Contains(got, "dev "+cc.Veth) {
		t.Errorf("the existing route was removed by the failed start: %q", got)
	}
	mustRun(t, "ip", "route", "del", tunnelNet.String(), "dev", cc.Veth)
	assertPristine(t, cc)

	// The tunnel address is already on an interface.
	mustRun(t, "ip", "addr", "add", clientAddr.String(), "dev", "lo")
	_, err = NewOS(cc.tunnel(), opts)
	if api.CodeOf(err) != api.CodeTunnelAddressConflict {
		t.Errorf("NewOS with the address taken: %v, want %s", err, api.CodeTunnelAddressConflict)
	}
	mustRun(t, "ip", "addr", "del", clientAddr.String(), "dev", "lo")
	assertPristine(t, cc)

	// Bad settings from the gateway are refused before anything changes.
	bad := cc.tunnel()
	bad.SearchDomains = []string{"intra.go.kr\nnameserver 203.0.113.66"}
	if _, err := NewOS(bad, opts); api.CodeOf(err) != api.CodeTunnelConfig {
		t.Errorf("NewOS with a smuggled resolv.conf line: %v", err)
	}
	if _, err := NewOS(cc.tunnel(), OSOptions{}); api.CodeOf(err) != api.CodeTunnelState {
		t.Errorf("NewOS without a state directory: %v", err)
	}
	assertPristine(t, cc)
}

// childNoPrivileges drops root, as a user starting svpnd by hand would
// run, and expects the code that sends them to the service or --userspace.
func childNoPrivileges(t *testing.T, cc childConfig) {
	// Go applies set*id to every thread of the process.
	if err := syscall.Setgroups(nil); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Setresgid(65534, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Setresuid(65534, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "svpn-noprivs")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	_, err = NewOS(cc.tunnel(), OSOptions{StateDir: dir})
	if api.CodeOf(err) != api.CodeTunnelNoPrivileges {
		t.Fatalf("NewOS as nobody: %v, want %s", err, api.CodeTunnelNoPrivileges)
	}
	t.Logf("as nobody: %v", err)
	if _, err := os.Stat(statePath(dir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state file left after a failed start: %v", err)
	}
	if b, _ := os.ReadFile("/etc/resolv.conf"); string(b) != cc.OrigResolvConf {
		t.Errorf("resolv.conf changed:\n%s", b)
	}
}

func childRecover(t *testing.T, cc childConfig, opts OSOptions) {
	if _, err := os.Stat(statePath(cc.StateDir)); err != nil {
		t.Fatalf("no state file to recover from: %v", err)
	}
	// A TUN of that name that outlived the crash (its fd inherited by a
	// hung helper, say) must go too.
	mustRun(t, "ip", "tuntap", "add", "dev", "svpn0", "mode", "tun")
	if err := Recover(cc.StateDir, opts.Logger); err != nil {
		t.Fatal(err)
	}
	assertPristine(t, cc)
	if err := Recover(cc.StateDir, opts.Logger); err != nil {
		t.Fatalf("second Recover: %v", err)
	}
	// And the namespace is usable again.
	tn, err := NewOS(cc.tunnel(), opts)
	if err != nil {
		t.Fatal(err)
	}
	fetchThroughOS(t, "http://10.77.0.1/")
	if err := tn.Close(); err != nil {
		t.Fatal(err)
	}
	assertPristine(t, cc)
}

// assertPristine checks that the namespace is as the parent made it.
func assertPristine(t *testing.T, cc childConfig) {
	t.Helper()
	if _, err := runCmd("ip", "link", "show", "svpn0"); err == nil {
		t.Error("svpn0 still exists")
	}
	routes := mustRun(t, "ip", "route", "show", "table", "all")
	for _, bad := range []string{"svpn0", tunnelNet.String(), cc.EndpointRoute.String(), cc.Endpoint.Addr().String() + " dev"} {
		if strings.Contains(routes, bad) {
			t.Errorf("route %q left behind:\n%s", bad, routes)
		}
	}
	if b, _ := os.ReadFile("/etc/resolv.conf"); string(b) != cc.OrigResolvConf {
		t.Errorf("/etc/resolv.conf not restored:\n%s\nwant:\n%s", b, cc.OrigResolvConf)
	}
	if entries, _ := os.ReadDir(cc.StateDir); len(entries) != 0 {
		names := []string{}
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("state directory not empty: %v", names)
	}
}

// fetchThroughOS fetches url with the host's own network stack and Go's
// resolver reading /etc/resolv.conf.
func fetchThroughOS(t *testing.T, url string) {
	t.Helper()
	d := &net.Dialer{Timeout: 10 * time.Second, Resolver: &net.Resolver{PreferGo: true}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	body, err := fetch(ctx, d.DialContext, url)
	if err != nil {
		t.Fatalf("GET %s through the kernel TUN: %v", url, err)
	}
	if !strings.Contains(body, portalText) {
		t.Fatalf("GET %s = %q", url, body)
	}
}

func randomID() string {
	b := make([]byte, 3)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func runCmd(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out), err
}

func mustRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := runCmd(name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

var freeSubnet = nettest.FreeSubnet
