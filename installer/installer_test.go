package installer

import (
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/gateway"
)

// These tests check the packaging files themselves; they are fast and need
// no packaging tool. dist_test.go tests what `make dist` built.

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestExampleProfileIsValid(t *testing.T) {
	p, err := api.LoadProfile("profiles/example.json")
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "원격근무서비스" {
		t.Errorf("name %q", p.Name)
	}
}

func TestGatewayDefaultConfigLoads(t *testing.T) {
	c, err := gateway.LoadConfig("linux/gateway-config.json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.Store, "sqlite:/var/lib/svpn-gateway/") {
		t.Errorf("store %q: the state belongs in /var/lib/svpn-gateway", c.Store)
	}
	for _, f := range append([]string{c.TLSCert, c.TLSKey}, c.TrustAnchors...) {
		if !strings.HasPrefix(f, "/etc/svpn-gateway/") {
			t.Errorf("%s: outside /etc/svpn-gateway", f)
		}
	}
	// The unit waits for the TLS certificate the config names.
	if unit := read(t, "linux/svpn-gateway.service"); !strings.Contains(unit, "ConditionPathExists="+c.TLSCert) {
		t.Errorf("svpn-gateway.service does not wait for %s", c.TLSCert)
	}
}

// unitSettings parses a systemd unit into key → values.
func unitSettings(text string) map[string][]string {
	m := map[string][]string{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "[") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if ok {
			m[k] = append(m[k], v)
		}
	}
	return m
}

func TestUnitsAreHardened(t *testing.T) {
	for unit, want := range map[string]map[string]string{
		"linux/svpnd.service": {
			"ExecStart":               "/usr/sbin/svpnd run --profile /etc/svpn/profile.json --state-dir /var/lib/svpn --socket /run/svpn/svpnd.sock",
			"StateDirectory":          "svpn",
			"RuntimeDirectory":        "svpn",
			"CapabilityBoundingSet":   "CAP_NET_ADMIN CAP_NET_BIND_SERVICE",
			"ProtectSystem":           "strict",
			"NoNewPrivileges":         "yes",
			"ProtectHome":             "yes",
			"DeviceAllow":             "/dev/net/tun rw",
			"RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6 AF_NETLINK",
			"WantedBy":                "multi-user.target",
		},
		"linux/svpn-gateway.service": {
			"ExecStart":             "/usr/bin/svpn-gateway serve --config /etc/svpn-gateway/config.json",
			"StateDirectory":        "svpn-gateway",
			"CapabilityBoundingSet": "CAP_NET_ADMIN CAP_NET_BIND_SERVICE",
			"ProtectSystem":         "strict",
			"NoNewPrivileges":       "yes",
			"WantedBy":              "multi-user.target",
		},
	} {
		got := unitSettings(read(t, unit))
		for k, v := range want {
			if len(got[k]) != 1 || got[k][0] != v {
				t.Errorf("%s: %s=%q, want %q", unit, k, got[k], v)
			}
		}
	}
	// svpnd's stop undoes what a tunnel that did not close left behind.
	if got := unitSettings(read(t, "linux/svpnd.service"))["ExecStopPost"]; len(got) != 1 || !strings.Contains(got[0], "/usr/lib/svpn/svpn-recover --state-dir /var/lib/svpn") {
		t.Errorf("svpnd.service ExecStopPost=%q", got)
	}
}

// desktopEntry parses the [Desktop Entry] group of a .desktop file.
func desktopEntry(t *testing.T, path string) map[string]string {
	t.Helper()
	m := map[string]string{}
	group := ""
	for _, line := range strings.Split(read(t, path), "\n") {
		if strings.HasPrefix(line, "[") {
			group = line
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok && group == "[Desktop Entry]" {
			m[k] = v
		}
	}
	return m
}

func TestDesktopEntries(t *testing.T) {
	app := desktopEntry(t, "linux/svpn.desktop")
	for k, v := range map[string]string{"Name": "원격근무서비스", "Exec": "svpn", "Icon": "svpn", "Type": "Application", "Terminal": "false"} {
		if app[k] != v {
			t.Errorf("svpn.desktop %s=%q, want %q", k, app[k], v)
		}
	}
	tray := desktopEntry(t, "linux/svpn-tray.desktop")
	if tray["Exec"] != "svpn @TRAY_ARGS@" || tray["Icon"] != "svpn" || tray["NoDisplay"] != "true" {
		t.Errorf("svpn-tray.desktop: %v", tray)
	}
}

func TestMaintainerScripts(t *testing.T) {
	for script, want := range map[string][]string{
		"linux/scripts/svpn-postinst":    {"deb-systemd-helper enable \"$unit\"", "deb-systemd-invoke restart \"$unit\"", "unit=svpnd.service"},
		"linux/scripts/svpn-prerm":       {"deb-systemd-invoke stop \"$unit\"", "/usr/lib/svpn/svpn-recover --state-dir /var/lib/svpn"},
		"linux/scripts/svpn-postrm":      {"deb-systemd-helper disable \"$unit\"", "deb-systemd-helper purge \"$unit\"", "rm -rf /var/lib/svpn /run/svpn"},
		"linux/scripts/gateway-postinst": {"deb-systemd-helper enable \"$unit\"", "unit=svpn-gateway.service"},
		"linux/scripts/gateway-prerm":    {"deb-systemd-invoke stop \"$unit\""},
		"linux/scripts/gateway-postrm":   {"deb-systemd-helper purge \"$unit\"", "rm -rf /var/lib/svpn-gateway /etc/svpn-gateway"},
	} {
		text := read(t, script)
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s lacks %q", script, w)
			}
		}
		if fi, err := os.Stat(script); err != nil || fi.Mode()&0o111 == 0 {
			t.Errorf("%s is not executable", script)
		}
	}
}

// nsisSection returns the body of Section NAME … SectionEnd.
func nsisSection(t *testing.T, script, name string) string {
	t.Helper()
	re := regexp.MustCompile(`(?s)\nSection "` + regexp.QuoteMeta(name) + `"\n(.*?)\nSectionEnd`)
	m := re.FindStringSubmatch(script)
	if m == nil {
		t.Fatalf("no Section %q", name)
	}
	return m[1]
}

// TestNSISScript inspects the installer script for the steps the issue
// asks for: the service, the profile, the shortcuts, the uninstaller.
func TestNSISScript(t *testing.T) {
	script := read(t, "windows/svpn.nsi")
	for _, w := range []string{
		`!define APPNAME "원격근무서비스"`,
		`InstallDir "$PROGRAMFILES64\SVPN"`,
		`RequestExecutionLevel admin`,
		`Target amd64-unicode`,
		`${GetOptions} $R0 "/PROFILE=" $ProfileSrc`,
		`${GetOptions} $R0 "/CA=" $CASrc`,
		`!uninstfinalize '"${SIGN_SCRIPT}" "%1"'`,
	} {
		if !strings.Contains(script, w) {
			t.Errorf("svpn.nsi lacks %s", w)
		}
	}
	install := nsisSection(t, script, "Install")
	steps := []string{
		`"$PLUGINSDIR\profilecheck.exe" "$PLUGINSDIR\profile.json"`, // the profile is checked first
		`File "${SRC}\svpnd.exe"`,
		`File "${SRC}\wintun.dll"`, // beside svpnd.exe
		`icacls "${DATADIR}" /inheritance:r`,
		`CopyFiles /SILENT "$PLUGINSDIR\profile.json" "${DATADIR}\profile.json"`,
		`"$INSTDIR\svpnd.exe" install --profile "${DATADIR}\profile.json"`,
		`CreateShortCut "$DESKTOP\${APPNAME}.lnk" "$INSTDIR\svpn.exe"`,
		`CreateShortCut "$SMPROGRAMS\${APPNAME}\${APPNAME}.lnk" "$INSTDIR\svpn.exe"`,
		`WriteRegStr HKLM "${RUNKEY}" "SVPN"`,
		`WriteUninstaller "$INSTDIR\uninstall.exe"`,
		`WriteRegStr HKLM "${UNINSTKEY}" "UninstallString"`,
		`WriteRegStr HKLM "${UNINSTKEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'`,
	}
	inOrder(t, "Install", install, steps)
	if !strings.Contains(script, `!define DATADIR "$APPDATA\SVPN"`) || !strings.Contains(install, "SetShellVarContext all") {
		t.Error("the profile must go to %ProgramData%\\SVPN ($APPDATA with SetShellVarContext all)")
	}
	uninstall := nsisSection(t, script, "Uninstall")
	inOrder(t, "Uninstall", uninstall, []string{
		`"$INSTDIR\svpnd.exe" uninstall`, // stops and removes the service
		`"$INSTDIR\svpn-recover.exe" --state-dir "${DATADIR}\state"`,
		`DeleteRegValue HKLM "${RUNKEY}" "SVPN"`,
		`Delete "$DESKTOP\${APPNAME}.lnk"`,
		`RMDir /r "$SMPROGRAMS\${APPNAME}"`,
		`Delete "$INSTDIR\svpnd.exe"`,
		`Delete "$INSTDIR\wintun.dll"`,
		`Delete "$INSTDIR\uninstall.exe"`,
		`RMDir /r "${DATADIR}"`,
		`DeleteRegKey HKLM "${UNINSTKEY}"`,
	})
	// Every file the installer puts in $INSTDIR is deleted again.
	for _, m := range regexp.MustCompile(`File "\$\{SRC\}\\([^"]+)"`).FindAllStringSubmatch(install, -1) {
		if m[1] == "profilecheck.exe" || m[1] == "profile.json" {
			continue // $PLUGINSDIR, removed by NSIS
		}
		if !strings.Contains(uninstall, `Delete "$INSTDIR\`+m[1]+`"`) {
			t.Errorf("the uninstaller leaves %s behind", m[1])
		}
	}
}

func inOrder(t *testing.T, name, text string, steps []string) {
	t.Helper()
	pos := 0
	for _, s := range steps {
		i := strings.Index(text[pos:], s)
		if i < 0 {
			t.Errorf("section %s: %q missing or out of order", name, s)
			continue
		}
		pos += i + len(s)
	}
}

// plistKeys parses the top-level dict of a property list into key → raw
// value element text.
func plistKeys(t *testing.T, path string) map[string]string {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(read(t, path)))
	m := map[string]string{}
	var key string
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch e := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 3 { // plist > dict > element
				var s string
				if err := dec.DecodeElement(&s, &e); err != nil && e.Name.Local != "dict" && e.Name.Local != "array" {
					t.Fatalf("%s: %v", path, err)
				}
				depth--
				if e.Name.Local == "key" {
					key = s
				} else if key != "" {
					m[key] = e.Name.Local + ":" + strings.TrimSpace(s)
					key = ""
				}
			}
		case xml.EndElement:
			depth--
		}
	}
	return m
}

func TestMacOSPlists(t *testing.T) {
	info := plistKeys(t, "macos/Info.plist")
	for k, v := range map[string]string{
		"CFBundleExecutable":  "string:svpn",
		"CFBundleDisplayName": "string:원격근무서비스",
		"CFBundleIconFile":    "string:svpn",
		"CFBundleIdentifier":  "string:org.opensvpn.svpn",
		"CFBundlePackageType": "string:APPL",
	} {
		if info[k] != v {
			t.Errorf("Info.plist %s = %q, want %q", k, info[k], v)
		}
	}
	d := plistKeys(t, "macos/svpnd.plist")
	if d["Label"] != "string:svpnd" || d["RunAtLoad"] != "true:" {
		t.Errorf("svpnd.plist: %v", d)
	}
	if s := read(t, "macos/svpnd.plist"); !strings.Contains(s, "<string>/Library/Application Support/SVPN/profile.json</string>") {
		t.Error("svpnd.plist does not name the profile")
	}
	for _, f := range []string{"macos/finish.sh", "macos/uninstall.sh", "macos/preinstall", "macos/postinstall", "dist.sh", "deps.sh"} {
		if fi, err := os.Stat(f); err != nil || fi.Mode()&0o111 == 0 {
			t.Errorf("%s is not executable", f)
		}
	}
}

// TestDistScriptsParse runs sh -n / bash -n over every shell script.
func TestDistScriptsParse(t *testing.T) {
	scripts, _ := filepath.Glob("linux/scripts/*")
	scripts = append(scripts, "deps.sh", "macos/finish.sh", "macos/uninstall.sh", "macos/preinstall", "macos/postinstall")
	for _, s := range scripts {
		if out, err := runOut("sh", "-n", s); err != nil {
			t.Errorf("%s: %v\n%s", s, err, out)
		}
	}
	if out, err := runOut("bash", "-n", "dist.sh"); err != nil {
		t.Errorf("dist.sh: %v\n%s", err, out)
	}
}

func runOut(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}
