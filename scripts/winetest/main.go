// Command winetest (`make wine-test`) builds the Windows test binaries of
// the client packages and runs them under Wine (wine64, Debian 12's Wine
// 8.0), each in its package's directory as `go test` would, in a throwaway
// Wine prefix with the test-only bcryptprimitives.dll stand-in of
// installer/testdata/winebcrypt. Tests Wine cannot support are skipped by
// name (the skip list below, each with its reason), and a test whose only
// failure is the Wine 8.0 TempDir clean-up error (below) is counted apart,
// not as a failure. It prints passed/failed/skipped per package and exits
// 1 if any test failed.
//
// This is not `make test`: Wine is not Windows. It catches what is ours
// (code or tests that assume Unix) on a machine without Windows.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// wineGaps are the Wine 8.0 gaps the skips below name.
const (
	// Go 1.23+ (net/fd_windows.go) sets SIO_UDP_NETRESET on every UDP
	// socket; Wine 8.0's WSAIoctl does not know it and fails with
	// WSAEOPNOTSUPP, so no Go program can open a UDP socket under Wine 8.0.
	udpGap = "Wine 8.0: UDP sockets fail (WSAIoctl SIO_UDP_NETRESET → WSAEOPNOTSUPP 10045), so WireGuard (client or the in-process gateway) cannot come up"
	// Wine 8.0's NtCreateNamedPipeFile ignores the FILE_CREATE disposition
	// (and CreateNamedPipe ignores FILE_FLAG_FIRST_PIPE_INSTANCE): a second
	// server of the same pipe name is created instead of refused.
	pipeCreateGap = "Wine 8.0: NtCreateNamedPipeFile(FILE_CREATE) on an existing pipe succeeds instead of failing"
)

// removeGap: the test itself removes a tree with os.RemoveAll (see
// cleanupGap).
const removeGap = "Wine 8.0: os.RemoveAll fails (NtSetInformationFile FileDispositionInformationEx not implemented → \"Invalid function\")"

// skips lists the tests Wine cannot support: import path (relative to the
// module), test name, reason.
var skips = []struct{ pkg, test, reason string }{
	{"client/engine", "TestOwnerControlsSession", udpGap},
	{"client/engine", "TestLoginIDIsBoundToItsCaller", udpGap},
	{"client/engine", "TestExpiryWarning", udpGap},
	{"client/engine", "TestNetworkChangeChecksAtOnce", udpGap},
	{"client/engine", "TestCloseStopsGoroutines", udpGap},
	{"client/engine", "TestFakeGatewayGetsNoChosenSignature", udpGap},
	{"client/engine", "TestRelayedLoginRefused", udpGap},
	{"client/engine", "TestBeginLoginRefusedDuringAnotherUsersConnect", udpGap},
	{"client/engine", "TestTunnelFailureLeavesNoSession", udpGap}, // the in-process gateway's WireGuard
	{"certstore", "TestScanDrivePulled", removeGap},
	{"client/localsock", "TestListenTwice", pipeCreateGap},
	{"tunnel", "TestOSTunnelSequence", udpGap},
	{"tunnel", "TestOSTunnelEndpointOutsideRoutes", udpGap},
	{"tunnel", "TestOSTunnelRollback", udpGap},
	{"tunnel", "TestRecover", udpGap},
	{"tunnel", "TestUserspace", udpGap},
	{"tunnel", "TestUserspaceUnreachableGateway", udpGap},
}

// cleanupGap matches the one failure a test gets from Wine 8.0 alone when
// it used t.TempDir: Go 1.25+'s os.RemoveAll deletes through
// NtSetInformationFile(FileDispositionInformationEx, class 64), which
// Wine 8.0 does not implement (STATUS_NOT_IMPLEMENTED, "Invalid function";
// Go falls back to the old call only for STATUS_INVALID_INFO_CLASS,
// STATUS_INVALID_PARAMETER and STATUS_NOT_SUPPORTED).
var cleanupGap = regexp.MustCompile(`^\s*testing\.go:\d+: TempDir RemoveAll cleanup: unlinkat .*: Invalid function\.\s*$`)

const module = "github.com/opensvpn/svpn/"

func main() {
	pkgs := flag.String("pkgs", "./certstore ./client/... ./tunnel", "packages to test (go list patterns)")
	wine := flag.String("wine", "/usr/lib/wine/wine64", "the wine64 loader")
	timeout := flag.Duration("timeout", 10*time.Minute, "per test binary")
	keep := flag.Bool("keep", false, "keep the work directory (test binaries, Wine prefix, logs)")
	flag.Parse()
	if err := run(strings.Fields(*pkgs), *wine, *timeout, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "wine-test:", err)
		os.Exit(1)
	}
}

type result struct {
	pkg                                   string
	pass, fail, skip, wineSkip, cleanOnly []string
	err                                   string
}

func run(patterns []string, wine string, timeout time.Duration, keep bool) error {
	if _, err := os.Stat(wine); err != nil {
		return fmt.Errorf("%s: %w (installer/deps.sh windows installs wine64)", wine, err)
	}
	work, err := os.MkdirTemp("", "svpn-wine-test.")
	if err != nil {
		return err
	}
	if keep {
		fmt.Println("work directory:", work)
	} else {
		defer os.RemoveAll(work)
	}
	prefix := filepath.Join(work, "prefix")
	wineEnv := append(os.Environ(), "WINEPREFIX="+prefix, "WINEDEBUG=-all", "DISPLAY=")
	defer func() {
		k := exec.Command(filepath.Join(filepath.Dir(wine), "wineserver"), "-k")
		k.Env = wineEnv
		k.Run()
	}()

	fmt.Println("wine-test: Wine prefix")
	boot := exec.Command(wine, "wineboot", "-i")
	boot.Env = wineEnv
	if out, err := boot.CombinedOutput(); err != nil {
		return fmt.Errorf("wineboot: %v\n%s", err, out)
	}
	// Go programs need bcryptprimitives.dll!ProcessPrng, which Wine 8.0 lacks.
	shim := exec.Command("x86_64-w64-mingw32-gcc", "-shared", "-O2", "-o",
		filepath.Join(prefix, "drive_c/windows/system32/bcryptprimitives.dll"),
		"installer/testdata/winebcrypt/bcryptprimitives.c", "-ladvapi32")
	if out, err := shim.CombinedOutput(); err != nil {
		return fmt.Errorf("bcryptprimitives shim: %v\n%s", err, out)
	}

	list := exec.Command("go", append([]string{"list", "-f", "{{.ImportPath}}\t{{.Dir}}\t{{len .TestGoFiles}}\t{{len .XTestGoFiles}}"}, patterns...)...)
	list.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	list.Stderr = os.Stderr
	out, err := list.Output()
	if err != nil {
		return fmt.Errorf("go list: %w", err)
	}
	var results []result
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 4 || (f[2] == "0" && f[3] == "0") {
			continue
		}
		results = append(results, runPkg(f[0], f[1], work, wine, wineEnv, timeout))
	}
	return summary(results)
}

func runPkg(path, dir, work, wine string, env []string, timeout time.Duration) result {
	rel := strings.TrimPrefix(path, module)
	r := result{pkg: rel}
	exe := filepath.Join(work, strings.ReplaceAll(rel, "/", "_")+".test.exe")
	build := exec.Command("go", "test", "-c", "-o", exe, path)
	build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		r.err = fmt.Sprintf("build: %v\n%s", err, out)
		return r
	}
	var names []string
	for _, s := range skips {
		if s.pkg == rel {
			names = append(names, regexp.QuoteMeta(s.test))
			r.wineSkip = append(r.wineSkip, s.test)
		}
	}
	args := []string{"tool", "test2json", "-p", path, wine, exe, "-test.v=test2json", "-test.timeout=" + timeout.String()}
	if len(names) > 0 {
		args = append(args, "-test.skip=^("+strings.Join(names, "|")+")$")
	}
	fmt.Printf("wine-test: %s\n", rel)
	cmd := exec.Command("go", args...)
	cmd.Dir = dir // as go test does: tests find their testdata
	cmd.Env = env
	logf, err := os.Create(strings.TrimSuffix(exe, ".exe") + ".json")
	if err != nil {
		r.err = err.Error()
		return r
	}
	defer logf.Close()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		r.err = err.Error()
		return r
	}
	outputs := map[string][]string{}
	sc := bufio.NewScanner(io.TeeReader(stdout, logf))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var pkgFail bool
	for sc.Scan() {
		var ev struct{ Action, Test, Output string }
		if json.Unmarshal(sc.Bytes(), &ev) != nil {
			continue
		}
		if ev.Test == "" {
			if ev.Action == "fail" {
				pkgFail = true
			}
			continue
		}
		if ev.Action == "output" {
			outputs[ev.Test] = append(outputs[ev.Test], ev.Output)
			continue
		}
		if strings.Contains(ev.Test, "/") {
			// Subtests count through their test; a failing one's output is
			// its test's.
			if ev.Action == "pass" || ev.Action == "skip" {
				delete(outputs, ev.Test)
			}
			continue
		}
		for name, out := range outputs {
			if strings.HasPrefix(name, ev.Test+"/") {
				outputs[ev.Test] = append(outputs[ev.Test], out...)
				delete(outputs, name)
			}
		}
		switch ev.Action {
		case "pass":
			r.pass = append(r.pass, ev.Test)
		case "skip":
			r.skip = append(r.skip, ev.Test)
		case "fail":
			if onlyCleanup(outputs[ev.Test]) {
				r.cleanOnly = append(r.cleanOnly, ev.Test)
				continue
			}
			r.fail = append(r.fail, ev.Test)
			fmt.Printf("--- FAIL: %s.%s\n%s", rel, ev.Test, strings.Join(outputs[ev.Test], ""))
		}
	}
	werr := cmd.Wait()
	if werr != nil && pkgFail && len(r.fail) == 0 && len(r.cleanOnly) == 0 {
		r.err = fmt.Sprintf("test binary failed outside any test: %v", werr)
	}
	return r
}

// onlyCleanup: the test's output is the Wine TempDir clean-up error and
// nothing else (a test that logged anything counts as failed: t.Log and
// t.Error lines look alike).
func onlyCleanup(out []string) bool {
	seen := false
	for _, l := range out {
		switch {
		case strings.HasPrefix(strings.TrimSpace(l), "=== "), strings.HasPrefix(strings.TrimSpace(l), "--- "), strings.TrimSpace(l) == "":
		case cleanupGap.MatchString(l):
			seen = true
		default:
			return false
		}
	}
	return seen
}

func summary(results []result) error {
	fmt.Println()
	fmt.Println("wine-test summary (Wine is not Windows; see scripts/winetest for the skips)")
	fmt.Printf("%-20s %6s %6s %8s %10s %14s\n", "package", "passed", "failed", "skipped", "wine-skip", "cleanup-only*")
	var failed bool
	var tot [5]int
	for _, r := range results {
		if r.err != "" {
			fmt.Printf("%-20s ERROR %s\n", r.pkg, r.err)
			failed = true
			continue
		}
		// -test.skip leaves the listed tests out: they send no events.
		n := [5]int{len(r.pass), len(r.fail), len(r.skip), len(r.wineSkip), len(r.cleanOnly)}
		for i := range n {
			tot[i] += n[i]
		}
		fmt.Printf("%-20s %6d %6d %8d %10d %14d\n", r.pkg, n[0], n[1], n[2], n[3], n[4])
		if len(r.fail) > 0 {
			failed = true
		}
	}
	fmt.Printf("%-20s %6d %6d %8d %10d %14d\n", "total", tot[0], tot[1], tot[2], tot[3], tot[4])
	fmt.Println("* passed, but t.TempDir's clean-up failed: Wine 8.0 lacks NtSetInformationFile(FileDispositionInformationEx), which Go's os.RemoveAll uses")
	reasons := map[string][]string{}
	for _, s := range skips {
		reasons[s.reason] = append(reasons[s.reason], s.pkg+"."+s.test)
	}
	var rs []string
	for k := range reasons {
		rs = append(rs, k)
	}
	sort.Strings(rs)
	for _, k := range rs {
		fmt.Printf("wine-skip: %s:\n    %s\n", k, strings.Join(reasons[k], " "))
	}
	if failed {
		return fmt.Errorf("failures above")
	}
	return nil
}
