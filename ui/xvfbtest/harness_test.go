package xvfbtest

import (
	"encoding/json"
	"fmt"
	"github.com/opensvpn/svpn/internal/nettest"
	"github.com/opensvpn/svpn/internal/proctest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// need skips (or fails, when required) without the X tools.
func need(t testing.TB, required bool) {
	t.Helper()
	for _, tool := range []string{"Xvfb", "xdotool", "import"} {
		if _, err := exec.LookPath(tool); err != nil {
			if required {
				t.Fatalf("%s is not installed (make deps installs it)", tool)
			}
			t.Skipf("skipped: %s is not installed, and the real desktop app is tested under Xvfb (make deps installs it)", tool)
		}
	}
}

// repoRoot is the module's directory.
func repoRoot(t testing.TB) string {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// buildBinaries builds svpn (cgo), svpnd and svpn-gateway into dir.
func buildBinaries(t testing.TB, dir string) {
	t.Helper()
	root := repoRoot(t)
	build := func(cgo string, pkgs ...string) {
		cmd := exec.Command("go", append([]string{"build", "-o", dir + "/"}, pkgs...)...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED="+cgo)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %v: %v\n%s", pkgs, err, out)
		}
	}
	build("1", "./cmd/svpn")
	build("0", "./cmd/svpnd", "./cmd/svpn-gateway", "./cmd/svpnctl")
}

// proc is a process the test started.
type proc = proctest.Proc

func start(t testing.TB, env []string, name string, args ...string) *proc {
	t.Helper()
	return proctest.Start(t, env, append([]string{name}, args...)...)
}

func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	proctest.Eventually(t, timeout, what, cond)
}

// startXvfb starts an X server on a free display and returns DISPLAY.
func startXvfb(t testing.TB) string {
	t.Helper()
	for n := 90; n < 200; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); err == nil {
			continue
		}
		display := fmt.Sprintf(":%d", n)
		p := start(t, nil, "Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp")
		// The display is ours once its lock file names our Xvfb: another
		// test (or session) may have started an Xvfb on the same number a
		// moment earlier, and then its socket appears while ours exits.
		ok := false
		for i := 0; i < 250 && !p.Exited(); i++ {
			_, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n))
			lock, _ := os.ReadFile(fmt.Sprintf("/tmp/.X%d-lock", n))
			if pid, _ := strconv.Atoi(strings.TrimSpace(string(lock))); err == nil && pid == p.Pid() {
				ok = true
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if ok {
			return display
		}
		p.Stop()
	}
	t.Fatal("no free X display")
	return ""
}

func freePort(t testing.TB, network string) int { return nettest.FreePort(t, network) }

// demo is the demo gateway and svpnd, started from the built binaries.
type demo struct {
	bin, dir, sock string
	UserID         string `json:"user_id"`
	Password       string `json:"initial_password"`
	CertPath       string `json:"cert_path"`
	CertPassword   string `json:"cert_password"`
	DriveRoot      string `json:"drive_root"`
	Profile        string `json:"profile"`
	svpnd          *proc
}

func startDemo(t testing.TB, bin string) *demo {
	t.Helper()
	dir := t.TempDir()
	start(t, nil, filepath.Join(bin, "svpn-gateway"), "demo", "--dir", dir,
		"--listen", fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp")), "--wg-port", fmt.Sprint(freePort(t, "udp")), "--heartbeat", "2s")
	var d demo
	eventually(t, 30*time.Second, "demo.json", func() bool {
		b, err := os.ReadFile(filepath.Join(dir, "demo.json"))
		return err == nil && json.Unmarshal(b, &d) == nil
	})
	d.bin, d.dir, d.sock = bin, dir, filepath.Join(dir, "svpnd.sock")
	d.svpnd = start(t, nil, filepath.Join(bin, "svpnd"), "run", "--userspace", "--socket", d.sock, "--profile", d.Profile,
		"--proxy", fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp")))
	eventually(t, 20*time.Second, "svpnd", func() bool { return d.state(t) != "" })
	return &d
}

// state is svpnd's connection state, "" when it does not answer.
func (d *demo) state(t testing.TB) string {
	out, err := exec.Command(filepath.Join(d.bin, "svpnctl"), "--socket", d.sock, "status", "--json").Output()
	if err != nil {
		return ""
	}
	var st struct{ State string }
	json.Unmarshal(out, &st)
	return st.State
}

func (d *demo) logout(t testing.TB) {
	t.Helper()
	if out, err := exec.Command(filepath.Join(d.bin, "svpnctl"), "--socket", d.sock, "logout").CombinedOutput(); err != nil {
		t.Fatalf("logout: %v\n%s", err, out)
	}
}

// x runs xdotool (or another X tool) on display.
type x struct {
	t       testing.TB
	display string
}

func (x x) run(name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+x.display)
	out, err := cmd.Output()
	return strings.TrimSpace(string(out)), err
}

// find returns the visible windows whose title matches.
func (x x) find(title string) []string {
	out, err := x.run("xdotool", "search", "--onlyvisible", "--name", title)
	if err != nil || out == "" {
		return nil
	}
	return strings.Fields(out)
}

// window waits for a visible window whose title matches.
func (x x) window(title string) string {
	x.t.Helper()
	var id string
	eventually(x.t, 20*time.Second, "the window "+title, func() bool {
		ids := x.find(title)
		if len(ids) > 0 {
			id = ids[len(ids)-1]
		}
		return id != ""
	})
	return id
}

func (x x) gone(title string) {
	x.t.Helper()
	eventually(x.t, 30*time.Second, "the window "+title+" to close", func() bool { return len(x.find(title)) == 0 })
}

// typeIn focuses a window and types text, then the keys.
func (x x) typeIn(id, text string, keys ...string) {
	x.t.Helper()
	if _, err := x.run("xdotool", "windowfocus", "--sync", id); err != nil {
		x.t.Fatalf("focus %s: %v", id, err)
	}
	if text != "" {
		if _, err := x.run("xdotool", "type", "--delay", "25", "--", text); err != nil {
			x.t.Fatal(err)
		}
	}
	for _, k := range keys {
		if _, err := x.run("xdotool", "key", k); err != nil {
			x.t.Fatal(err)
		}
	}
}

// click clicks at a point of a window, in pixels from its bottom-left
// corner when fromBottom.
func (x x) click(id string, px, py int, fromBottom bool) {
	x.t.Helper()
	if fromBottom {
		out, err := x.run("xdotool", "getwindowgeometry", "--shell", id)
		if err != nil {
			x.t.Fatal(err)
		}
		for _, l := range strings.Split(out, "\n") {
			if h, ok := strings.CutPrefix(l, "HEIGHT="); ok {
				n, _ := strconv.Atoi(h)
				py = n - py
			}
		}
	}
	if _, err := x.run("xdotool", "mousemove", "--window", id, fmt.Sprint(px), fmt.Sprint(py), "click", "1"); err != nil {
		x.t.Fatal(err)
	}
}

// shot saves a window's pixels as a PNG.
func (x x) shot(id, path string) {
	x.t.Helper()
	time.Sleep(400 * time.Millisecond) // let the last frame draw
	if out, err := x.run("import", "-window", id, path); err != nil {
		x.t.Fatalf("import %s: %v %s", path, err, out)
	}
	x.t.Logf("wrote %s", path)
}

// rssKB reads a process's resident set size.
func rssKB(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	return 0
}

// children returns the pids of a process's children.
func children(pid int) []int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return nil
	}
	var out []int
	for _, f := range strings.Fields(string(b)) {
		n, _ := strconv.Atoi(f)
		out = append(out, n)
	}
	return out
}
