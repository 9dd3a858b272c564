package xvfbtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// noise is what the app must not print on a desktop without D-Bus (issue
// 17, item 9): each line said something the user can do nothing about, on
// every state change or launch.
var noise = []string{
	"Failed to send message to bus",      // a notification without a bus
	"Unable to connect to session D-Bus", // the same, once the bus is not autolaunched
	"Preferences load error",             // a preferences file read while another process wrote it
	"Error parsing user locale",          // Fyne under LANG=C
	"does not define a",                  // Fyne's file dialog probing XDG user folders
}

// TestQuietWithoutDBus runs the real app under a bare Xvfb with no session
// bus (no DBUS_SESSION_BUS_ADDRESS, an empty runtime directory) and LANG=C:
// launched twice (the second hands over to the first and exits), through a
// state change with a notice (svpnd going away), then quit. It must start
// no dbus-daemon (godbus would autolaunch one that outlives the app: issue
// 17, item 8) and print none of the noise lines. Windows that write what
// they remember and come and go are TestNoTrayHost's (which checks the
// same lines); the app has no file dialog of Fyne's any more.
func TestQuietWithoutDBus(t *testing.T) {
	need(t, false)
	if _, err := exec.LookPath("pgrep"); err != nil {
		t.Skip("skipped: no pgrep")
	}
	bin := t.TempDir()
	buildBinaries(t, bin)
	// Plain C, and C.UTF-8 (containers, CI), where Fyne cannot parse "C".
	for _, lang := range []string{"C", "C.UTF-8"} {
		t.Run(lang, func(t *testing.T) { quietWithoutDBus(t, bin, lang) })
	}
}

func quietWithoutDBus(t *testing.T, bin, lang string) {
	display := startXvfb(t)
	X := x{t: t, display: display}
	d := startDemo(t, bin)
	home := t.TempDir()
	stillFrames(t, home)
	before := dbusDaemons(t)
	env := []string{"DISPLAY=" + display, "HOME=" + home, "XDG_RUNTIME_DIR=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"DBUS_SESSION_BUS_ADDRESS=", "LANG=" + lang, "LC_ALL=", "LANGUAGE="}
	run := func() *proc {
		return start(t, env, filepath.Join(d.bin, "svpn"), "--socket", d.sock, "--drive", d.DriveRoot)
	}
	first := run()
	X.window("^원격근무서비스$")
	second := run()
	eventually(t, 20*time.Second, "the second svpn to hand over and exit", second.Exited)
	d.svpnd.Stop() // a state change with a notice: svpnd is unavailable
	time.Sleep(3 * time.Second)
	first.Stop()
	if !first.Exited() {
		t.Fatal("svpn did not quit")
	}
	out := first.Output() + second.Output()
	for _, n := range noise {
		if strings.Contains(out, n) {
			t.Errorf("svpn printed %q", n)
		}
	}
	if started := slices.DeleteFunc(dbusDaemons(t), func(p string) bool { return slices.Contains(before, p) }); len(started) > 0 {
		t.Errorf("dbus-daemon processes started while svpn ran and still running: %v", started)
	}
	if t.Failed() {
		t.Logf("svpn said:\n%s", out)
	}
}

// dbusDaemons are the PIDs of this user's forking dbus-daemon processes:
// the ones an autolaunch leaves behind. Buses that tests of other packages
// run meanwhile (internal/dbustest) are started with --nofork and are not
// counted.
func dbusDaemons(t testing.TB) []string {
	out, _ := exec.Command("pgrep", "-u", strings.TrimSpace(uid(t)), "dbus-daemon").Output()
	var pids []string
	for _, pid := range strings.Fields(string(out)) {
		cmdline, err := os.ReadFile("/proc/" + pid + "/cmdline")
		if err != nil || slices.Contains(strings.Split(string(cmdline), "\x00"), "--nofork") {
			continue // gone, or a test's own bus
		}
		pids = append(pids, pid)
	}
	return pids
}

func uid(t testing.TB) string {
	out, err := exec.Command("id", "-u").Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
