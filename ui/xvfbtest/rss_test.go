package xvfbtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/opensvpn/svpn/internal/proctest"
)

// BenchmarkWindowRSS measures the resident memory of each kind of window
// process under Xvfb (Mesa's software renderer), started as the tray
// process starts it (svpn --window KIND): once its window has drawn what it
// shows, and again after 2 s more (what it keeps). Medians of
// SVPN_UI_BENCH_RUNS runs (default 5) after one warm-up run.
//
//	go test -run '^$' -bench WindowRSS -benchtime 1x ./ui/xvfbtest
func BenchmarkWindowRSS(b *testing.B) {
	need(b, false)
	runs := 5
	if n, err := strconv.Atoi(os.Getenv("SVPN_UI_BENCH_RUNS")); err == nil && n > 0 {
		runs = n
	}
	bin := b.TempDir()
	buildBinaries(b, bin)
	display := startXvfb(b)
	X := x{t: b, display: display}
	d := startDemo(b, bin)
	home := b.TempDir()
	stillFrames(b, home)
	env := []string{"DISPLAY=" + display, "HOME=" + home, "XDG_RUNTIME_DIR=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"DBUS_SESSION_BUS_ADDRESS=disabled:", "LANG=ko_KR.UTF-8", "LC_ALL=",
		"LANGUAGE=en", "SVPN_USER_LANGUAGE=", "SVPN_UI_NOTES=env.no_dbus"} // what the tray process adds
	kinds := []struct{ kind, title string }{{"login", "^원격근무서비스$"}, {"diagnostics", "진단 정보"},
		{"connected", "^원격근무서비스 연결 상태$"}}
	b.ResetTimer()
	for range b.N {
		for _, k := range kinds {
			var drawn, kept []float64
			for i := 0; i <= runs; i++ {
				// A window process lives while its stdin (the tray's pipe)
				// is open.
				r, w, err := os.Pipe()
				if err != nil {
					b.Fatal(err)
				}
				cmd := exec.Command(filepath.Join(bin, "svpn"), "--window", k.kind, "--socket", d.sock, "--drive", d.DriveRoot)
				var out proctest.Buffer
				cmd.Env, cmd.Stdin, cmd.Stdout, cmd.Stderr = append(os.Environ(), env...), r, &out, &out
				if err := cmd.Start(); err != nil {
					b.Fatal(err)
				}
				r.Close()
				b.Cleanup(func() {
					if b.Failed() {
						b.Logf("svpn --window %s said:\n%s", k.kind, out.String())
					}
				})
				X.settled(X.window(k.title), nil)
				r1 := rssKB(cmd.Process.Pid)
				time.Sleep(2 * time.Second)
				r2 := rssKB(cmd.Process.Pid)
				w.Close() // the window process quits
				cmd.Wait()
				X.gone(k.title)
				if i == 0 {
					continue
				}
				drawn = append(drawn, float64(r1)/1024)
				kept = append(kept, float64(r2)/1024)
			}
			b.ReportMetric(median(drawn), "MB-"+k.kind+"-RSS")
			b.ReportMetric(median(kept), "MB-"+k.kind+"-RSS-after-2s")
			b.Logf("%s window process RSS MB: drawn %v, 2 s later %v", k.kind, drawn, kept)
		}
	}
}
