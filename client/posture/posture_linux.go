package posture

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/opensvpn/svpn/api"
)

// linuxProduct describes how one antivirus product shows itself on Linux.
// It is data so that adding a product is a table entry, not code.
type linuxProduct struct {
	Name string
	// Procs are path.Match patterns for /proc/<pid>/comm of the product's
	// resident scanner. The kernel truncates comm to 15 bytes, so a pattern
	// for a longer name must be the truncated form or end in '*'.
	Procs []string
	// Units are systemd units whose "active" state means the scanner runs;
	// they cover hosts where /proc hides other users' processes (hidepid)
	// and this runs unprivileged.
	Units []string
	// Paths (relative to the root, may be globs) show that the product is
	// installed: an installed product that does not run is reported with
	// Enabled=false, which tells the helpdesk far more than silence.
	Paths []string
	// Definitions (relative to the root, globs) are signature files whose
	// newest modification time is the last successful update. Without
	// them the client cannot tell, and reports UpToDate=false.
	Definitions []string
	// MaxAge is how old the newest definitions file may be.
	MaxAge time.Duration
}

// linuxProducts returns the scanners the Linux client recognises (a
// function, not a variable, so no caller can change the table for
// another). ClamAV is what a Linux desktop normally has; the others are
// endpoint products agencies deploy on Linux.
func linuxProducts() []linuxProduct {
	return []linuxProduct{
		{
			Name:  "ClamAV",
			Procs: []string{"clamd"},
			Units: []string{"clamav-daemon.service", "clamd@scan.service"},
			Paths: []string{"usr/sbin/clamd", "usr/bin/clamscan", "usr/bin/clamdscan"},
			// freshclam rewrites daily.c[lv]d several times a day when it can
			// reach a mirror; main.c[lv]d changes rarely but counts on a fresh
			// install. Debian and Fedora use /var/lib/clamav, source builds
			// /usr/local/share/clamav.
			Definitions: []string{
				"var/lib/clamav/daily.c[lv]d", "var/lib/clamav/main.c[lv]d",
				"usr/local/share/clamav/daily.c[lv]d", "usr/local/share/clamav/main.c[lv]d",
			},
			MaxAge: 3 * 24 * time.Hour,
		},
		{
			Name:  "AhnLab V3",
			Procs: []string{"v3daemon*", "v3svc*", "v3net*", "ahnlab*"},
			Paths: []string{"opt/AhnLab", "opt/ahnlab", "usr/local/AhnLab", "usr/local/V3Net"},
		},
		{
			Name:  "ESET",
			Procs: []string{"esets*", "eset_*"},
			Units: []string{"eea.service", "efs.service", "esets.service"},
			Paths: []string{"opt/eset"},
		},
		{
			Name:  "Sophos",
			Procs: []string{"sophos*", "savd"},
			Units: []string{"sophos-spl.service", "sav-protect.service"},
			Paths: []string{"opt/sophos-spl", "opt/sophos-av"},
		},
		{
			Name:  "Trend Micro Deep Security",
			Procs: []string{"ds_agent", "ds_am"},
			Units: []string{"ds_agent.service"},
			Paths: []string{"opt/ds_agent"},
		},
		{
			Name:  "CrowdStrike Falcon",
			Procs: []string{"falcon-sensor*", "falcond"},
			Units: []string{"falcon-sensor.service"},
			Paths: []string{"opt/CrowdStrike"},
		},
		{
			Name:  "Microsoft Defender for Endpoint",
			Procs: []string{"wdavdaemon"},
			Units: []string{"mdatp.service"},
			Paths: []string{"opt/microsoft/mdatp"},
		},
		{
			Name:  "Trellix Endpoint Security",
			Procs: []string{"mfetpd"},
			Paths: []string{"opt/McAfee/ens"},
		},
		{
			Name:  "Kaspersky Endpoint Security",
			Procs: []string{"kesl", "wdserver"},
			Units: []string{"kesl.service"},
			Paths: []string{"opt/kaspersky/kesl"},
		},
	}
}

// systemctlTimeout bounds `systemctl is-active`: it answers in
// milliseconds unless systemd itself is wedged, which must not stall a
// login.
const systemctlTimeout = 3 * time.Second

// linuxHost is where the Linux collector looks. realLinuxHost is this
// machine; tests point Root and ProcDir at temporary directories with fake
// /proc entries and replace the clock and systemd.
type linuxHost struct {
	Root        string // file-system root for Paths and Definitions, "/"
	ProcDir     string // "/proc"
	Now         func() time.Time
	ActiveUnits func(ctx context.Context, units []string) map[string]bool // nil: no systemd
	Products    []linuxProduct
}

func realLinuxHost() linuxHost {
	return linuxHost{
		Root:        "/",
		ProcDir:     "/proc",
		Now:         time.Now,
		ActiveUnits: systemdActiveUnits,
		Products:    linuxProducts(),
	}
}

func collect(ctx context.Context) []api.Antivirus {
	return realLinuxHost().collect(ctx)
}

func (h linuxHost) collect(ctx context.Context) []api.Antivirus {
	comms := h.processNames()
	var units []string
	for _, p := range h.Products {
		units = append(units, p.Units...)
	}
	active := map[string]bool{}
	if h.ActiveUnits != nil && len(units) > 0 && ctx.Err() == nil {
		active = h.ActiveUnits(ctx, units)
	}
	var out []api.Antivirus
	for _, p := range h.Products {
		running := false
		for _, u := range p.Units {
			running = running || active[u]
		}
		for _, c := range comms {
			running = running || matchName(p.Procs, c)
		}
		if !running && !h.anyExists(p.Paths) && !h.anyExists(p.Definitions) {
			continue
		}
		upToDate := false
		if newest, ok := h.newest(p.Definitions); ok {
			upToDate = h.Now().Sub(newest) < p.MaxAge
		}
		out = append(out, api.Antivirus{Name: p.Name, Enabled: running, UpToDate: upToDate})
	}
	return out
}

// processNames returns the comm of every user-space process. Kernel
// threads (empty cmdline) are skipped so that a kernel thread whose name
// happens to match a pattern is not taken for a scanner.
func (h linuxHost) processNames() []string {
	entries, err := os.ReadDir(h.ProcDir)
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() || !isDigits(e.Name()) {
			continue
		}
		dir := filepath.Join(h.ProcDir, e.Name())
		comm, err := os.ReadFile(filepath.Join(dir, "comm"))
		if err != nil {
			continue // the process ended while we looked
		}
		cmdline, err := os.ReadFile(filepath.Join(dir, "cmdline"))
		if err != nil || len(cmdline) == 0 {
			continue
		}
		names = append(names, strings.TrimSpace(string(comm)))
	}
	return names
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func (h linuxHost) anyExists(globs []string) bool {
	for _, g := range globs {
		if m, _ := filepath.Glob(filepath.Join(h.Root, g)); len(m) > 0 {
			return true
		}
	}
	return false
}

// newest returns the latest modification time of the files the globs name.
func (h linuxHost) newest(globs []string) (time.Time, bool) {
	var t time.Time
	for _, g := range globs {
		matches, _ := filepath.Glob(filepath.Join(h.Root, g))
		for _, m := range matches {
			if fi, err := os.Stat(m); err == nil && fi.Mode().IsRegular() && fi.ModTime().After(t) {
				t = fi.ModTime()
			}
		}
	}
	return t, !t.IsZero()
}

// systemdActiveUnits asks systemd which of units are active. systemctl
// prints one state per unit in order and exits non-zero when any is not
// active, so the exit status is ignored and the lines are read instead.
// Without systemctl (containers, other init systems) nothing is active.
func systemdActiveUnits(ctx context.Context, units []string) map[string]bool {
	active := map[string]bool{}
	bin, err := exec.LookPath("systemctl")
	if err != nil {
		return active
	}
	out, err := commandOutput(ctx, systemctlTimeout, nil, bin, append([]string{"is-active", "--"}, units...)...)
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return active
	}
	lines := strings.Split(string(bytes.TrimSpace(out)), "\n")
	if len(lines) != len(units) {
		return active
	}
	for i, u := range units {
		active[u] = strings.TrimSpace(lines[i]) == "active"
	}
	return active
}

// osVersion is the distribution's PRETTY_NAME from os-release(5).
func osVersion() string {
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		if data, err := os.ReadFile(p); err == nil {
			if v := parseOSRelease(data); v != "" {
				return v
			}
		}
	}
	return "Linux"
}
