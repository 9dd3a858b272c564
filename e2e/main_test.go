package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/gateway"
)

// bin holds the binaries built once for the whole test run.
var bin string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "svpn-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	cmd := exec.Command("go", "build", "-o", dir+string(os.PathSeparator), "../cmd/svpn-gateway", "../cmd/svpnd", "../cmd/svpnctl")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the binaries: %v\n%s", err, out)
		return 1
	}
	bin = dir
	return m.Run()
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t testing.TB, network string) int {
	t.Helper()
	if network == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// proc is a background process owned by a test.
type proc struct {
	cmd  *exec.Cmd
	out  *bytes.Buffer
	done chan struct{}
}

// start runs a binary in the background; t.Cleanup stops it.
func start(t testing.TB, prefix []string, name string, args ...string) *proc {
	t.Helper()
	argv := append(append([]string{}, prefix...), filepath.Join(bin, name))
	argv = append(argv, args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	p := &proc{cmd: cmd, out: &bytes.Buffer{}, done: make(chan struct{})}
	lw := &lockedWriter{b: p.out}
	cmd.Stdout, cmd.Stderr = lw, lw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("%s output:\n%s", name, p.output())
		}
	})
	return p
}

func (p *proc) output() string {
	lw := p.cmd.Stdout.(*lockedWriter)
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return p.out.String()
}

// stop ends the process with SIGTERM, then SIGKILL after 10 s.
func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// kill ends the process with SIGKILL: a crash.
func (p *proc) kill() {
	p.cmd.Process.Kill()
	<-p.done
}

// runCmd runs a binary to completion with stdin and returns exit code and
// output.
func runCmd(t testing.TB, prefix []string, stdin string, name string, args ...string) (int, string) {
	t.Helper()
	argv := append(append([]string{}, prefix...), filepath.Join(bin, name))
	argv = append(argv, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		}
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
	return 0, string(out)
}

// eventually polls cond until it holds, failing after timeout.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// readDemo waits for the demo gateway's demo.json and API.
func readDemo(t testing.TB, dir string) *gateway.Demo {
	t.Helper()
	var d gateway.Demo
	eventually(t, 60*time.Second, "demo.json", func() bool {
		b, err := os.ReadFile(filepath.Join(dir, "demo.json"))
		return err == nil && json.Unmarshal(b, &d) == nil
	})
	return &d
}

// status runs svpnctl status --json.
func status(t testing.TB, prefix []string, sock string) api.Status {
	t.Helper()
	code, out := runCmd(t, prefix, "", "svpnctl", "--socket", sock, "status", "--json")
	var st api.Status
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil {
		t.Fatalf("svpnctl status: exit %d\n%s", code, out)
	}
	return st
}
