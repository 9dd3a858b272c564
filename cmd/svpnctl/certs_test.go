package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/certstore/certgen"
	"github.com/opensvpn/svpn/internal/testfixtures"
)

// runCLI runs svpnctl in-process and returns exit code, stdout, stderr.
func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	c := &cli{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb}
	code := c.run(args)
	return code, out.String(), errb.String()
}

// listedCert is the JSON contract of `certs list --json`.
type listedCert struct {
	Name      string `json:"name"`
	Subject   string `json:"subject"`
	IssuerCA  string `json:"issuer_ca"`
	Purpose   string `json:"purpose"`
	PolicyOID string `json:"policy_oid"`
	Serial    string `json:"serial"`
	NotBefore string `json:"not_before"`
	NotAfter  string `json:"not_after"`
	Expired   bool   `json:"expired"`
	Location  string `json:"location"`
	Path      string `json:"path"`
}

func TestCertsListFromStandardLocations(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	pki, err := certgen.NewPKI()
	if err != nil {
		t.Fatal(err)
	}
	u, err := pki.Yessign.IssueUser(certgen.UserOptions{Name: "홍길동"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.WriteNPKI(filepath.Join(home, "NPKI"), "pw-1234!", certstore.SchemeSEEDLegacy); err != nil {
		t.Fatal(err)
	}
	// The real yessign certificate on a "USB drive" given with --drive.
	drive := t.TempDir()
	dst := filepath.Dir(testfixtures.CopyRealNPKI(t, drive))

	code, out, stderr := runCLI(t, "", "certs", "list", "--json", "--drive", drive)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got []listedCert
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(got) != 2 {
		t.Fatalf("listed %d certificates: %s", len(got), out)
	}
	hong, real := got[0], got[1] // valid first, expired last
	if hong.Name != "홍길동" || hong.Location != "disk" || hong.Expired || hong.Purpose != "범용 개인" || hong.IssuerCA != "yessign" {
		t.Errorf("hard-disk certificate: %+v", hong)
	}
	if real.Name != "HKD" || real.Location != "removable" || !real.Expired || real.Purpose != "은행·보험·카드용" ||
		real.IssuerCA != "yessign" || real.Serial != "459c75" || real.PolicyOID != "1.2.410.200005.1.1.4" ||
		real.NotAfter != "2020-03-25T14:59:59Z" || real.Path != filepath.Join(dst, "signCert.der") {
		t.Errorf("real certificate: %+v", real)
	}
	if _, err := time.Parse(time.RFC3339, real.NotBefore); err != nil {
		t.Errorf("not_before: %v", err)
	}

	code, out, _ = runCLI(t, "", "certs", "list")
	if code != 0 || !strings.Contains(out, "홍길동") || strings.Contains(out, "HKD") {
		t.Errorf("text list (exit %d):\n%s", code, out)
	}
}

// --disk adds a folder laid out like a drive root (NPKI, GPKI/...) as the
// hard disk: the demo's other users' certificates, for one.
func TestCertsListDisk(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	disk := t.TempDir()
	dst := filepath.Dir(testfixtures.CopyRealNPKI(t, disk))
	code, out, stderr := runCLI(t, "", "certs", "list", "--json", "--disk", disk)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got []listedCert
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(got) != 1 || got[0].Location != "disk" || got[0].Path != filepath.Join(dst, "signCert.der") {
		t.Fatalf("listed: %+v", got)
	}
}

func TestCertsShowExportImport(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	real := testfixtures.Path(t, "npki-real")

	code, out, _ := runCLI(t, "", "certs", "show", "--cert", real)
	if code != 0 || !strings.Contains(out, "459c75") || !strings.Contains(out, "은행·보험·카드용") {
		t.Fatalf("show (exit %d):\n%s", code, out)
	}
	code, out, _ = runCLI(t, "", "certs", "show", "--cert", filepath.Join(real, "cert.pfx"), "--json")
	if code != 0 || !strings.Contains(out, `"kind": "pkcs12"`) {
		t.Fatalf("show pfx (exit %d):\n%s", code, out)
	}

	p12 := filepath.Join(t.TempDir(), "out.pfx")
	code, _, stderr := runCLI(t, "wrong-password\n", "certs", "export", "--cert", real, "--p12", p12, "--password-stdin")
	if code != exitPassword || !strings.Contains(stderr, "cert_password_wrong") {
		t.Fatalf("export with a wrong password: exit %d, %s", code, stderr)
	}
	if _, err := os.Stat(p12); !os.IsNotExist(err) {
		t.Fatal("a failed export left a file behind")
	}
	code, _, stderr = runCLI(t, "WTuA8Ev0lWXVFSiI!\n", "certs", "export", "--cert", real, "--p12", p12, "--password-stdin")
	if code != 0 {
		t.Fatalf("export: exit %d, %s", code, stderr)
	}
	if openssl, err := exec.LookPath("openssl"); err == nil {
		cmd := exec.Command(openssl, "pkcs12", "-in", p12, "-passin", "pass:WTuA8Ev0lWXVFSiI!", "-nokeys", "-clcerts")
		if b, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(b), "BEGIN CERTIFICATE") {
			t.Fatalf("openssl cannot read the export: %v\n%s", err, b)
		}
	} else {
		t.Log("openssl not installed; skipping the OpenSSL read-back")
	}

	drive := t.TempDir()
	code, out, stderr = runCLI(t, "WTuA8Ev0lWXVFSiI!\n", "certs", "import", "--p12", p12, "--password-stdin", "--removable", drive)
	if code != 0 {
		t.Fatalf("import: exit %d, %s", code, stderr)
	}
	want := filepath.Join(drive, "NPKI", "yessign", "USER")
	if !strings.Contains(out, want) {
		t.Fatalf("import output %q, want it under %s", out, want)
	}
	code, out, _ = runCLI(t, "", "certs", "list", "--json", "--drive", drive)
	if code != 0 || !strings.Contains(out, `"serial": "459c75"`) || !strings.Contains(out, `"location": "removable"`) {
		t.Fatalf("list after import (exit %d): %s", code, out)
	}
	// Import to the hard disk (~/NPKI) when no drive is given.
	code, _, stderr = runCLI(t, "WTuA8Ev0lWXVFSiI!\n", "certs", "import", "--p12", p12, "--password-stdin")
	if code != 0 {
		t.Fatalf("import to disk: exit %d, %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(home, "NPKI", "yessign", "USER")); err != nil {
		t.Fatal(err)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{}, {"nope"}, {"certs"}, {"certs", "show"}, {"certs", "list", "extra"}, {"certs", "export", "--cert", "x"}} {
		if code, _, _ := runCLI(t, "", args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
	if code, _, _ := runCLI(t, "", "certs", "show", "--cert", "/nonexistent/signCert.der"); code != exitNotFound {
		t.Errorf("missing certificate: exit %d, want %d", code, exitNotFound)
	}
}

// TestCertsExportIgnoresPlantedTemp plants a symlink at the temporary name
// the export once used (<out>.tmp), pointing at a file of the victim: the
// export must neither write through it nor remove it, and the PKCS#12 file
// must be a regular file of mode 0600.
func TestCertsExportIgnoresPlantedTemp(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	real := testfixtures.Path(t, "npki-real")
	dir := t.TempDir()
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("do not touch"), 0o644); err != nil {
		t.Fatal(err)
	}
	p12 := filepath.Join(dir, "out.pfx")
	if err := os.Symlink(victim, p12+".tmp"); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "WTuA8Ev0lWXVFSiI!\n", "certs", "export", "--cert", real, "--p12", p12, "--password-stdin")
	if code != 0 {
		t.Fatalf("export: exit %d, %s", code, stderr)
	}
	if b, err := os.ReadFile(victim); err != nil || string(b) != "do not touch" {
		t.Fatalf("the file behind the planted symlink changed (%d bytes now), %v", len(b), err)
	}
	if target, err := os.Readlink(p12 + ".tmp"); err != nil || target != victim {
		t.Errorf("the planted symlink was replaced or removed: %q, %v", target, err)
	}
	fi, err := os.Lstat(p12)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %v, want a regular file of mode 0600", p12, fi.Mode())
	}
	if b, _ := os.ReadFile(p12); len(b) == 0 {
		t.Error("the PKCS#12 file is empty")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("the export left %v in its directory, want out.pfx and the planted link only", names)
	}
}
