package xvfbtest

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// sessionBus starts a private D-Bus session bus with a stand-in tray host
// (org.kde.StatusNotifierWatcher), so that svpn sees a desktop with a
// tray, and returns its address.
func sessionBus(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		t.Skip("dbus-daemon is not installed")
	}
	cmd := exec.Command("dbus-daemon", "--session", "--nofork", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	addr = strings.TrimSpace(addr)
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := conn.RequestName("org.kde.StatusNotifierWatcher", dbus.NameFlagDoNotQueue); err != nil {
		t.Fatal(err)
	}
	if err := conn.Export(watcher{}, "/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher"); err != nil {
		t.Fatal(err)
	}
	return addr
}

// watcher accepts tray icons and shows nothing.
type watcher struct{}

func (watcher) RegisterStatusNotifierItem(string) *dbus.Error { return nil }

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// BenchmarkDesktopApp measures, under Xvfb with a tray host on D-Bus:
// start of svpn to its login window being visible (polled with xdotool
// every few milliseconds), the RSS of the tray process idle once the
// window is closed, and of the window process while the window is open;
// and, for comparison, the RSS of --single-process (Fyne's desktop.App
// tray and the window in one process). Medians of SVPN_UI_BENCH_RUNS runs
// (default 7) after one warm-up run.
//
//	go test -run '^$' -bench DesktopApp -benchtime 1x ./ui/xvfbtest
func BenchmarkDesktopApp(b *testing.B) {
	need(b, false)
	runs := 7
	if n, err := strconv.Atoi(os.Getenv("SVPN_UI_BENCH_RUNS")); err == nil && n > 0 {
		runs = n
	}
	bin := b.TempDir()
	buildBinaries(b, bin)
	display := startXvfb(b)
	bus := sessionBus(b)
	X := x{t: b, display: display}
	d := startDemo(b, bin)
	home := b.TempDir()
	stillFrames(b, home)
	env := []string{"DISPLAY=" + display, "HOME=" + home, "XDG_RUNTIME_DIR=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"DBUS_SESSION_BUS_ADDRESS=" + bus,
		"LANG=ko_KR.UTF-8", "LC_ALL=", "LANGUAGE="}
	svpn := filepath.Join(bin, "svpn")
	b.ResetTimer()
	for range b.N {
		var startMS, trayMB, windowMB []float64
		for i := 0; i <= runs; i++ {
			t0 := time.Now()
			app := start(b, env, svpn, "--socket", d.sock)
			var shown time.Duration
			var ids []string
			for ids = X.find("^원격근무서비스$"); len(ids) == 0; ids = X.find("^원격근무서비스$") {
				if time.Since(t0) > 20*time.Second {
					b.Fatalf("no login window after 20 s; svpn said:\n%s", app.Output())
				}
				time.Sleep(2 * time.Millisecond) // the polling interval, short: it bounds the measurement's error
			}
			shown = time.Since(t0)
			kids := children(app.Pid())
			if len(kids) != 1 {
				b.Fatalf("window processes: %v", kids)
			}
			X.settled(ids[len(ids)-1], nil) // the window drawn, the profile loaded
			win := rssKB(kids[0])
			// Close the window: the window process ends, the tray stays.
			syscall.Kill(kids[0], syscall.SIGTERM)
			eventually(b, 10*time.Second, "the window process to end", func() bool { return len(children(app.Pid())) == 0 })
			// That the tray process stays is the absence of an exit, only
			// watchable for a while: 3 s, also for its RSS to fall back
			// after the window process's end.
			time.Sleep(3 * time.Second)
			if app.Exited() {
				b.Fatalf("the tray process quit with its window:\n%s", app.Output())
			}
			tray := rssKB(app.Pid())
			app.Stop()
			if i == 0 {
				continue // warm-up: page cache, font cache
			}
			startMS = append(startMS, float64(shown.Microseconds())/1000)
			trayMB = append(trayMB, float64(tray)/1024)
			windowMB = append(windowMB, float64(win)/1024)
		}
		// One process holding Fyne's tray and the window.
		var singleMB []float64
		for range 3 {
			app := start(b, env, svpn, "--socket", d.sock, "--single-process")
			X.settled(X.window("^원격근무서비스$"), nil)
			singleMB = append(singleMB, float64(rssKB(app.Pid()))/1024)
			app.Stop()
		}
		b.ReportMetric(median(startMS), "ms-start-to-window")
		b.ReportMetric(median(trayMB), "MB-tray-idle-RSS")
		b.ReportMetric(median(windowMB), "MB-window-process-RSS")
		b.ReportMetric(median(singleMB), "MB-single-process-RSS")
		b.Logf("start→window ms %v; tray idle MB %v; window process MB %v; single process MB %v", startMS, trayMB, windowMB, singleMB)
	}
}
