package xvfbtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opensvpn/svpn/internal/proctest"
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
		// no_emoji as `make run` and the installers build the app (Makefile
		// UI_TAGS): without Fyne's colour-emoji font.
		cmd := exec.Command("go", append([]string{"build", "-tags", "no_emoji", "-o", dir + "/"}, pkgs...)...)
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
// The display number is random, above those people use, so that test
// runs in parallel never wait on each other's numbers; a number already in
// use makes Xvfb exit, and another is tried.
func startXvfb(t testing.TB) string {
	t.Helper()
	var tried []string
	for range 5 {
		n := 100 + rand.IntN(30000)
		display, out, ok := tryXvfb(t, n)
		if ok {
			return display
		}
		tried = append(tried, fmt.Sprintf(":%d: %s", n, out))
	}
	t.Fatalf("Xvfb did not start on any of 5 displays:\n%s", strings.Join(tried, "\n"))
	return ""
}

// tryXvfb starts Xvfb on display n. Xvfb writes the number to fd 3 once
// it accepts connections (-displayfd); it exits if the display is taken.
func tryXvfb(t testing.TB, n int) (display, output string, ok bool) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// -noreset: by default the server resets whenever its last client
	// leaves, and a client connecting meanwhile (the app, while the test's
	// xdotool and import come and go) fails "Failed to open display".
	cmd := exec.Command("Xvfb", fmt.Sprintf(":%d", n), "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp", "-noreset")
	cmd.ExtraFiles = []*os.File{w}
	var out proctest.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		w.Close()
		t.Fatalf("starting Xvfb: %v", err)
	}
	w.Close()
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case got := <-line:
		if got != strconv.Itoa(n) {
			<-done // the pipe closed: Xvfb ended
			return "", out.String(), false
		}
	case <-time.After(20 * time.Second):
		stop()
		t.Fatalf("Xvfb gave no display in 20 s:\n%s", out.String())
	}
	t.Cleanup(stop)
	// A failed test says whether its X server was still there.
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		select {
		case <-done:
			t.Logf("Xvfb :%d had exited before the test ended: %v\n%s", n, cmd.ProcessState, out.String())
		default:
			t.Logf("Xvfb :%d was running; its output:\n%s", n, out.String())
		}
	})
	return fmt.Sprintf(":%d", n), "", true
}

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
	// Ports 0: the gateway picks free ones and writes them to demo.json
	// and the profile.
	start(t, nil, filepath.Join(bin, "svpn-gateway"), "demo", "--dir", dir,
		"--listen", "127.0.0.1:0", "--wg-port", "0", "--heartbeat", "2s")
	var d demo
	eventually(t, 30*time.Second, "demo.json", func() bool {
		b, err := os.ReadFile(filepath.Join(dir, "demo.json"))
		return err == nil && json.Unmarshal(b, &d) == nil
	})
	d.bin, d.dir, d.sock = bin, dir, filepath.Join(dir, "svpnd.sock")
	d.svpnd = start(t, nil, filepath.Join(bin, "svpnd"), "run", "--userspace", "--socket", d.sock, "--profile", d.Profile,
		"--proxy", "127.0.0.1:0") // a free port, reported in status (proxy_addr)
	eventually(t, 20*time.Second, "svpnd", func() bool { return d.state(t) != "" })
	return &d
}

// state is svpnd's connection state, "" when it does not answer.
func (d *demo) state(t testing.TB) string { return d.status(t).State }

// status is svpnd's status, zero when it does not answer.
func (d *demo) status(t testing.TB) (st struct {
	State         string
	LastErrorCode string `json:"last_error_code"`
}) {
	out, err := exec.Command(filepath.Join(d.bin, "svpnctl"), "--socket", d.sock, "status", "--json").Output()
	if err == nil {
		json.Unmarshal(out, &st)
	}
	return st
}

// stillFrames sets Fyne's no_animations in home (the setting a user can
// make in ~/.config/fyne/settings.json): an entry's cursor then stops
// blinking, so a window that has drawn what it shows gives identical
// frames (settled). widget.Activity spins regardless, so busy states
// never look settled.
func stillFrames(t testing.TB, home string) {
	t.Helper()
	dir := filepath.Join(home, ".config", "fyne")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "settings.json"), []byte(`{"no_animations": true}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
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

// frame captures a window's pixels.
func (x x) frame(id string) (image.Image, error) {
	// import waits forever for a window that went away mid-capture.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "import", "-window", id, "png:-")
	cmd.Env = append(os.Environ(), "DISPLAY="+x.display)
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("import -window %s: %w", id, err)
	}
	return png.Decode(bytes.NewReader(out))
}

// samePixels reports whether two frames are identical.
func samePixels(a, b image.Image) bool {
	if a == nil || b == nil || a.Bounds() != b.Bounds() {
		return false
	}
	if ra, ok := a.(*image.RGBA); ok {
		if rb, ok := b.(*image.RGBA); ok {
			return bytes.Equal(ra.Pix, rb.Pix)
		}
	}
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if a.At(x, y) != b.At(x, y) {
				return false
			}
		}
	}
	return true
}

// quiet is how long a window's frame must stay unchanged to count as
// drawn: longer than the app takes to show what a local call returned
// (the profile and banner, a drive scan), while busy states show a
// spinning widget.Activity and never stay unchanged.
const quiet = 300 * time.Millisecond

// settled waits, at most 20 s, until the window's frame differs from
// unlike (when not nil: the frame before an action, whose result is
// awaited) and then stays unchanged for quiet, and returns that frame.
func (x x) settled(id string, unlike image.Image) image.Image {
	x.t.Helper()
	var prev image.Image
	var since time.Time
	deadline := time.Now().Add(20 * time.Second)
	for {
		f, err := x.frame(id)
		switch {
		case err != nil || (unlike != nil && samePixels(f, unlike)):
			prev = nil
		case samePixels(f, prev):
			if time.Since(since) >= quiet {
				return f
			}
		default:
			prev, since = f, time.Now()
		}
		if time.Now().After(deadline) {
			x.t.Fatalf("the window %s did not settle in 20 s (last capture: %v)", id, err)
		}
		time.Sleep(50 * time.Millisecond) // the polling interval, not a wait for the app
	}
}

// after runs action (a key, a click) and waits for the window to show its
// result: a frame different from the one before, settled.
func (x x) after(id string, action func()) image.Image {
	x.t.Helper()
	before := x.settled(id, nil)
	action()
	return x.settled(id, before)
}

// key presses keys in a focused window.
func (x x) key(id string, keys ...string) func() {
	return func() { x.typeIn(id, "", keys...) }
}

// save writes a frame as a PNG.
func (x x) save(f image.Image, path string) {
	x.t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, f); err != nil {
		x.t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		x.t.Fatal(err)
	}
	x.t.Logf("wrote %s", path)
}

// shot saves a window's pixels as a PNG once its frame has settled.
func (x x) shot(id, path string) {
	x.t.Helper()
	x.save(x.settled(id, nil), path)
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

// children returns the pids of a process's children. Each thread has its
// own list (a Go program starts processes from any of its threads).
func children(pid int) []int {
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	var out []int
	for _, task := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, task.Name()))
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			n, _ := strconv.Atoi(f)
			out = append(out, n)
		}
	}
	return out
}
