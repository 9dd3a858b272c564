package posture

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
)

// fakeLinux builds a root and a /proc under a temporary directory.
type fakeLinux struct {
	t    *testing.T
	root string
	proc string
}

func newFakeLinux(t *testing.T) *fakeLinux {
	dir := t.TempDir()
	f := &fakeLinux{t: t, root: filepath.Join(dir, "root"), proc: filepath.Join(dir, "proc")}
	for _, d := range []string{f.root, f.proc} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Noise every /proc has: self, a non-pid entry, an ordinary process.
	f.process("1", "systemd", "/sbin/init")
	f.write(filepath.Join(f.proc, "meminfo"), "MemTotal: 1 kB\n", time.Time{})
	return f
}

func (f *fakeLinux) write(path, content string, mtime time.Time) {
	f.t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		f.t.Fatal(err)
	}
	if !mtime.IsZero() {
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			f.t.Fatal(err)
		}
	}
}

// process adds /proc/<pid> with comm and cmdline; an empty cmdline makes
// it a kernel thread.
func (f *fakeLinux) process(pid, comm, cmdline string) {
	f.write(filepath.Join(f.proc, pid, "comm"), comm+"\n", time.Time{})
	f.write(filepath.Join(f.proc, pid, "cmdline"), cmdline, time.Time{})
}

func (f *fakeLinux) file(rel string, mtime time.Time) {
	f.write(filepath.Join(f.root, rel), "x", mtime)
}

func TestLinuxCollect(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		setup func(f *fakeLinux)
		units map[string]bool
		want  []api.Antivirus
	}{
		{
			name:  "nothing installed",
			setup: func(*fakeLinux) {},
			want:  nil,
		},
		{
			name: "clamd running, definitions fresh",
			setup: func(f *fakeLinux) {
				f.file("usr/sbin/clamd", time.Time{})
				f.file("var/lib/clamav/main.cvd", now.Add(-90*24*time.Hour))
				f.file("var/lib/clamav/daily.cld", now.Add(-5*time.Hour))
				f.process("812", "clamd", "/usr/sbin/clamd\x00--foreground=true\x00")
			},
			want: []api.Antivirus{{Name: "ClamAV", Enabled: true, UpToDate: true}},
		},
		{
			name: "clamd running, definitions stale",
			setup: func(f *fakeLinux) {
				f.file("usr/sbin/clamd", time.Time{})
				f.file("var/lib/clamav/daily.cvd", now.Add(-4*24*time.Hour))
				f.process("812", "clamd", "/usr/sbin/clamd\x00")
			},
			want: []api.Antivirus{{Name: "ClamAV", Enabled: true, UpToDate: false}},
		},
		{
			name: "clamscan installed, no daemon",
			setup: func(f *fakeLinux) {
				f.file("usr/bin/clamscan", time.Time{})
				f.file("var/lib/clamav/daily.cld", now.Add(-time.Hour))
			},
			want: []api.Antivirus{{Name: "ClamAV", Enabled: false, UpToDate: true}},
		},
		{
			name: "daemon hidden by hidepid, systemd says active",
			setup: func(f *fakeLinux) {
				f.file("usr/sbin/clamd", time.Time{})
				f.file("var/lib/clamav/daily.cld", now.Add(-time.Hour))
			},
			units: map[string]bool{"clamav-daemon.service": true},
			want:  []api.Antivirus{{Name: "ClamAV", Enabled: true, UpToDate: true}},
		},
		{
			name: "running but not installed where expected",
			setup: func(f *fakeLinux) {
				f.process("4242", "falcon-sensor", "/opt/CrowdStrike/falcon-sensor\x00")
			},
			want: []api.Antivirus{{Name: "CrowdStrike Falcon", Enabled: true}},
		},
		{
			name: "kernel thread with a matching name is not a scanner",
			setup: func(f *fakeLinux) {
				f.process("17", "clamd", "")
			},
			want: nil,
		},
		{
			name: "several products, table order",
			setup: func(f *fakeLinux) {
				f.file("opt/eset/efs/sbin/startd", time.Time{})
				f.process("900", "esets_daemon", "/opt/eset/esets/sbin/esets_daemon\x00")
				f.file("opt/sophos-spl/bin/x", time.Time{})
				f.file("usr/bin/clamscan", time.Time{})
				f.process("901", "ds_agent", "/opt/ds_agent/ds_agent\x00")
			},
			want: []api.Antivirus{
				{Name: "ClamAV"},
				{Name: "ESET", Enabled: true},
				{Name: "Sophos"},
				{Name: "Trend Micro Deep Security", Enabled: true},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeLinux(t)
			tt.setup(f)
			var asked []string
			h := linuxHost{
				Root:    f.root,
				ProcDir: f.proc,
				Now:     func() time.Time { return now },
				ActiveUnits: func(_ context.Context, units []string) map[string]bool {
					asked = units
					return tt.units
				},
				Products: linuxProducts(),
			}
			got := h.collect(context.Background())
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("collect =\n %+v\nwant\n %+v", got, tt.want)
			}
			if len(asked) == 0 {
				t.Error("systemd was not asked")
			}
		})
	}
}

func TestLinuxCollectMissingProc(t *testing.T) {
	h := linuxHost{Root: t.TempDir(), ProcDir: filepath.Join(t.TempDir(), "absent"), Now: time.Now, Products: linuxProducts()}
	if got := h.collect(context.Background()); got != nil {
		t.Errorf("collect = %+v, want nothing", got)
	}
}

func TestLinuxProductsTable(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range linuxProducts() {
		if p.Name == "" || seen[p.Name] {
			t.Errorf("empty or duplicate name %q", p.Name)
		}
		seen[p.Name] = true
		if len(p.Procs)+len(p.Units) == 0 {
			t.Errorf("%s: no way to tell it runs", p.Name)
		}
		for _, pat := range p.Procs {
			if len(pat) > 15 {
				t.Errorf("%s: comm pattern %q is longer than the kernel's 15-byte comm", p.Name, pat)
			}
			if !matchName([]string{pat}, pat) && pat[len(pat)-1] != '*' {
				t.Errorf("%s: bad pattern %q", p.Name, pat)
			}
		}
		if len(p.Definitions) > 0 && p.MaxAge <= 0 {
			t.Errorf("%s: definitions without MaxAge", p.Name)
		}
	}
}

func TestSystemdActiveUnits(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	got := systemdActiveUnits(ctx, []string{"svpn-test-no-such.service"})
	if time.Since(start) > systemctlTimeout+commandWaitDelay+time.Second {
		t.Errorf("took %v", time.Since(start))
	}
	if got["svpn-test-no-such.service"] {
		t.Error("a unit that does not exist is active")
	}
}

func TestOSVersionLinux(t *testing.T) {
	if v := osVersion(); v == "" {
		t.Error("empty OS version")
	}
}
