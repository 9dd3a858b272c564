//go:build linux

package wgdevice

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/opensvpn/svpn/internal/nettest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opensvpn/svpn/wgkey"
)

// The root tests below need a Linux host where they may create network
// namespaces, veth pairs and TUN devices. Every name they create carries a
// random suffix, so parallel runs and a real gateway on the same host are
// left alone, and t.Cleanup removes it all whether the test passes or not.

// requireRoot skips the test unless it runs as root with the given tools.
func requireRoot(t *testing.T, tools ...string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipped: needs root to create network namespaces and TUN devices (CI runs as root)")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("skipped: %s not found (scripts/deps.sh installs it): %v", tool, err)
		}
	}
}

// randomID returns 6 hex digits for names that must fit IFNAMSIZ.
func randomID(t *testing.T) string {
	b := make([]byte, 3)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// cmdTimeout bounds every helper command; they act on the local kernel only.
const cmdTimeout = 15 * time.Second

// run runs a command and fails the test with its output if it fails.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := runErr(name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

func runErr(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out), err
}

// buildUpstreamWireGuard builds the reference wireguard-go binary from the
// module cache: software none of us wrote, for the interop tests.
func buildUpstreamWireGuard(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("skipped: the go command is needed to build upstream wireguard-go: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "wireguard-go")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", bin, "golang.zx2c4.com/wireguard")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building upstream wireguard-go: %v\n%s", err, out)
	}
	return bin
}

// nsPeer is a WireGuard client in its own network namespace: upstream
// wireguard-go configured by Debian's wg, reaching the root namespace
// over a veth pair.
type nsPeer struct {
	ns     string
	ifname string     // the wireguard-go interface inside ns
	rootIP netip.Addr // root side of the veth pair: where the gateway listens
	nsIP   netip.Addr
	priv   wgkey.Private
	logs   *bytes.Buffer // wireguard-go's output, shown on failure
}

func newNSPeer(t *testing.T, wgBin string) *nsPeer {
	t.Helper()
	id := randomID(t)
	p := &nsPeer{ns: "svpn-test-" + id, ifname: "svw" + id, priv: mustKey(t), logs: new(bytes.Buffer)}
	vethRoot, vethNS := "svv"+id+"r", "svv"+id+"n"
	subnet := freeSubnet(t, netip.MustParsePrefix("10.200.0.0/16"), 30)
	p.rootIP, p.nsIP = nth(subnet, 1), nth(subnet, 2)

	run(t, "ip", "netns", "add", p.ns)
	t.Cleanup(func() { runErr("ip", "netns", "del", p.ns) })
	run(t, "ip", "link", "add", vethRoot, "type", "veth", "peer", "name", vethNS, "netns", p.ns)
	t.Cleanup(func() { runErr("ip", "link", "del", vethRoot) })
	run(t, "ip", "addr", "add", fmt.Sprintf("%v/30", p.rootIP), "dev", vethRoot)
	run(t, "ip", "link", "set", vethRoot, "up")
	run(t, "ip", "-n", p.ns, "addr", "add", fmt.Sprintf("%v/30", p.nsIP), "dev", vethNS)
	run(t, "ip", "-n", p.ns, "link", "set", vethNS, "up")
	run(t, "ip", "-n", p.ns, "link", "set", "lo", "up")

	// The UAPI socket lives in the file system, which namespaces share:
	// hence an interface name of our own rather than wg0.
	sock := "/var/run/wireguard/" + p.ifname + ".sock"
	cmd := exec.Command("ip", "netns", "exec", p.ns, "env", "WG_PROCESS_FOREGROUND=1", wgBin, "-f", p.ifname)
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting wireguard-go: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		// ip netns exec and env exec into wireguard-go: one process.
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		os.Remove(sock)
		if t.Failed() {
			t.Logf("wireguard-go output:\n%s", p.logs)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("wireguard-go exited: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("wireguard-go did not create %s", sock)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return p
}

// connect configures the client with wg(8) and ip(8): the gateway as its
// peer, and addr on its interface.
func (p *nsPeer) connect(t *testing.T, gwPub wgkey.Public, gwPort int, gwAddr netip.Addr, addr netip.Prefix) {
	t.Helper()
	keyFile := filepath.Join(t.TempDir(), "private.key")
	if err := os.WriteFile(keyFile, []byte(p.priv.Base64Secret()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, "ip", "netns", "exec", p.ns, "wg", "set", p.ifname, "private-key", keyFile,
		"peer", gwPub.String(),
		"endpoint", netip.AddrPortFrom(p.rootIP, uint16(gwPort)).String(),
		"allowed-ips", netip.PrefixFrom(gwAddr, 32).String())
	run(t, "ip", "-n", p.ns, "addr", "add", addr.String(), "dev", p.ifname)
	run(t, "ip", "-n", p.ns, "link", "set", p.ifname, "up")
}

// fetch gets url from inside the namespace with curl, or with this test
// binary acting as a client when curl is missing.
func (p *nsPeer) fetch(url string, timeout time.Duration) (string, error) {
	var args []string
	if _, err := exec.LookPath("curl"); err == nil {
		args = []string{"ip", "netns", "exec", p.ns, "curl", "-sS", "--fail", "--max-time", fmt.Sprint(int(timeout.Seconds())), url}
	} else {
		args = []string{"ip", "netns", "exec", p.ns, "env", fetchEnv + "=" + url, os.Args[0]}
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout+5*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), errors.Join(err, errors.New(strings.TrimSpace(stderr.String())))
	}
	return stdout.String(), nil
}

var (
	freeSubnet = nettest.FreeSubnet
	nth        = nettest.Nth
)
