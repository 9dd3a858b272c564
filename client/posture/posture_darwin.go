package posture

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/opensvpn/svpn/api"
)

// darwinProduct describes how a third-party antivirus shows itself on
// macOS. It is data so that adding a product is a table entry.
type darwinProduct struct {
	Name string
	// Apps are path.Match patterns for bundle names in /Applications.
	Apps []string
	// Procs are path.Match patterns for the base name of a running
	// executable, for daemons and system extensions that live outside the
	// app bundle. A process running from inside a matched bundle counts
	// too.
	Procs []string
}

// darwinProducts returns the third-party products the macOS client
// recognises: the Korean ones staff are issued (V3, 알약) first.
func darwinProducts() []darwinProduct {
	return []darwinProduct{
		{Name: "AhnLab V3", Apps: []string{"V3.app", "AhnLab V3*.app", "V3 *.app"}, Procs: []string{"V3*", "AhnLab*"}},
		{Name: "ALYac", Apps: []string{"ALYac*.app", "알약*.app"}, Procs: []string{"ALYac*"}},
		{Name: "ESET", Apps: []string{"ESET*.app"}, Procs: []string{"esets_*", "com.eset.*"}},
		{Name: "Sophos", Apps: []string{"Sophos*.app"}, Procs: []string{"Sophos*", "com.sophos.*"}},
		{Name: "CrowdStrike Falcon", Apps: []string{"Falcon.app"}, Procs: []string{"com.crowdstrike.falcon.*", "falcond"}},
		{Name: "Microsoft Defender", Apps: []string{"Microsoft Defender*.app"}, Procs: []string{"wdavdaemon*"}},
		{Name: "Trend Micro", Apps: []string{"Trend Micro*.app", "TrendMicro*.app"}},
		{Name: "Norton", Apps: []string{"Norton*.app"}},
		{Name: "Avast", Apps: []string{"Avast*.app"}},
		{Name: "Bitdefender", Apps: []string{"Bitdefender*.app"}},
		{Name: "Kaspersky", Apps: []string{"Kaspersky*.app"}},
		{Name: "Trellix", Apps: []string{"McAfee*.app", "Trellix*.app"}},
		{Name: "Intego VirusBarrier", Apps: []string{"VirusBarrier*.app"}},
		{Name: "Malwarebytes", Apps: []string{"Malwarebytes*.app"}},
	}
}

// xprotectMaxAge is how old XProtect's definitions may be and still count
// as current. Apple ships them every few weeks, not daily.
const xprotectMaxAge = 60 * 24 * time.Hour

// psTimeout bounds the process listing.
const psTimeout = 5 * time.Second

// swVersTimeout bounds sw_vers.
const swVersTimeout = 5 * time.Second

// darwinHost is where the macOS collector looks; tests replace the root,
// the clock and the process list.
type darwinHost struct {
	Root      string // "/"
	Now       func() time.Time
	Processes func(ctx context.Context) []string // executable paths of running processes
	Products  []darwinProduct
}

func realDarwinHost() darwinHost {
	return darwinHost{Root: "/", Now: time.Now, Processes: runningExecutables, Products: darwinProducts()}
}

func collect(ctx context.Context) []api.Antivirus {
	return realDarwinHost().collect(ctx)
}

func (h darwinHost) collect(ctx context.Context) []api.Antivirus {
	var out []api.Antivirus
	if av, ok := h.xprotect(); ok {
		out = append(out, av)
	}
	apps, _ := os.ReadDir(filepath.Join(h.Root, "Applications"))
	var procs []string
	if h.Processes != nil {
		procs = h.Processes(ctx)
	}
	for _, p := range h.Products {
		var bundles []string
		for _, a := range apps {
			if matchName(p.Apps, a.Name()) {
				bundles = append(bundles, "/Applications/"+a.Name()+"/")
			}
		}
		running := false
		for _, exe := range procs {
			running = running || matchName(p.Procs, filepath.Base(exe))
			for _, b := range bundles {
				running = running || strings.HasPrefix(exe, b)
			}
		}
		if len(bundles) == 0 && !running {
			continue
		}
		// Third-party definitions are in vendor-private formats; the client
		// cannot tell whether they are current.
		out = append(out, api.Antivirus{Name: p.Name, Enabled: running})
	}
	return out
}

// xprotect reports Apple's built-in scanner. It cannot be switched off by
// a user, so it is enabled whenever its bundle is present.
func (h darwinHost) xprotect() (api.Antivirus, bool) {
	var (
		newest  time.Time
		version string
	)
	// XProtect's definitions live in one of two bundles: macOS 15 updates
	// the copy under /private/var/protected and may leave the older one
	// stale, so the newest of the two is the one reported.
	for _, b := range []string{
		"Library/Apple/System/Library/CoreServices/XProtect.bundle",
		"private/var/protected/xprotect/XProtect.bundle",
	} {
		info := filepath.Join(h.Root, b, "Contents", "Info.plist")
		fi, err := os.Stat(info)
		if err != nil || !fi.ModTime().After(newest) {
			continue
		}
		newest, version = fi.ModTime(), ""
		if f, err := os.Open(info); err == nil {
			version, _ = plistString(f, "CFBundleShortVersionString")
			f.Close()
		}
	}
	if newest.IsZero() {
		return api.Antivirus{}, false
	}
	name := "Apple XProtect"
	if version != "" {
		name += " " + version
	}
	return api.Antivirus{Name: name, Enabled: true, UpToDate: h.Now().Sub(newest) < xprotectMaxAge}, true
}

// runningExecutables lists the executable path of every process: ps's
// comm column on macOS is the full path, which lets a process be matched
// to the app bundle it runs from.
func runningExecutables(ctx context.Context) []string {
	out, err := commandOutput(ctx, psTimeout, nil, "/bin/ps", "-axo", "comm=")
	if err != nil {
		return nil
	}
	var exes []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); s != "" {
			exes = append(exes, s)
		}
	}
	return exes
}

// osVersion is "macOS 14.4 (23E214)" from sw_vers.
func osVersion() string {
	out, err := commandOutput(context.Background(), swVersTimeout, nil, "/usr/bin/sw_vers")
	if err != nil {
		return "macOS"
	}
	if v := parseSwVers(out); v != "" {
		return v
	}
	return "macOS"
}
