package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/opensvpn/svpn/internal/proctest"
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
	if os.Getenv(childRequestEnv) != "" {
		os.Exit(childRequest()) // a client run as another user: see otheruser_test.go
	}
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

// start runs one of the built binaries in the background, behind prefix
// (e.g. ip netns exec NS); the test's cleanup stops it.
func start(t testing.TB, prefix []string, name string, args ...string) *proctest.Proc {
	t.Helper()
	argv := append(append(append([]string{}, prefix...), filepath.Join(bin, name)), args...)
	return proctest.Start(t, nil, argv...)
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

func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	proctest.Eventually(t, timeout, what, cond)
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
