//go:build linux

package tunnel

import (
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func newTestResolvConf(t *testing.T) resolvConf {
	dir := t.TempDir()
	return resolvConf{
		path:   filepath.Join(dir, "etc", "resolv.conf"),
		backup: filepath.Join(dir, "state", resolvConfBackupName),
		log:    slog.New(slog.DiscardHandler),
	}
}

var (
	rcServers = []netip.Addr{gwDNS}
	rcDomains = []string{searchDomain}
)

func TestResolvConfFile(t *testing.T) {
	rc := newTestResolvConf(t)
	orig := "# from DHCP\nnameserver 192.168.0.1\nnameserver 192.168.0.2\nnameserver 192.168.0.3\ndomain home.lan\noptions edns0 trust-ad\n"
	os.MkdirAll(filepath.Dir(rc.path), 0o755)
	os.WriteFile(rc.path, []byte(orig), 0o644)

	if err := rc.set("svpn0", rcServers, rcDomains); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(rc.path)
	want := resolvConfMarker + " for svpn0: the tunnel's DNS servers come first.\n" +
		"# The original is in " + rc.backup + " and is put back when the tunnel closes.\n" +
		"nameserver 10.77.0.53\nnameserver 192.168.0.1\nnameserver 192.168.0.2\n" +
		"search intra.go.kr home.lan\noptions edns0 trust-ad\n"
	if string(got) != want {
		t.Errorf("rewritten:\n%s\nwant:\n%s", got, want)
	}
	// A second set (a crash, then a new tunnel before Recover) keeps the
	// original backup rather than backing up our own file.
	if err := rc.set("svpn0", rcServers, rcDomains); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(rc.backup); string(b) != orig {
		t.Fatalf("backup overwritten:\n%s", b)
	}
	if err := rc.restore(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(rc.path); string(b) != orig {
		t.Errorf("restored:\n%s\nwant:\n%s", b, orig)
	}
	if _, err := os.Lstat(rc.backup); !os.IsNotExist(err) {
		t.Errorf("backup left: %v", err)
	}
	if err := rc.restore(); err != nil {
		t.Errorf("restore without a backup: %v", err)
	}
}

func TestResolvConfSymlink(t *testing.T) {
	rc := newTestResolvConf(t)
	os.MkdirAll(filepath.Dir(rc.path), 0o755)
	target := filepath.Join(filepath.Dir(rc.path), "managed-resolv.conf")
	os.WriteFile(target, []byte("nameserver 127.0.0.53\n"), 0o644)
	os.Symlink(target, rc.path)

	if err := rc.set("svpn0", rcServers, rcDomains); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(rc.path); fi.Mode()&os.ModeSymlink != 0 {
		t.Fatal("resolv.conf is still the link: the managed file was written through it")
	}
	if b, _ := os.ReadFile(target); string(b) != "nameserver 127.0.0.53\n" {
		t.Errorf("the link's target was modified: %s", b)
	}
	if err := rc.restore(); err != nil {
		t.Fatal(err)
	}
	if got, err := os.Readlink(rc.path); err != nil || got != target {
		t.Errorf("after restore resolv.conf links to %q (%v), want %q", got, err, target)
	}
}

func TestResolvConfRewrittenMeanwhile(t *testing.T) {
	rc := newTestResolvConf(t)
	os.MkdirAll(filepath.Dir(rc.path), 0o755)
	os.WriteFile(rc.path, []byte("nameserver 192.168.0.1\n"), 0o644)
	if err := rc.set("svpn0", rcServers, nil); err != nil {
		t.Fatal(err)
	}
	// DHCP renewed while the tunnel was up: theirs is newer than our backup.
	newer := "nameserver 172.16.0.1\n"
	os.WriteFile(rc.path, []byte(newer), 0o644)
	if err := rc.restore(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(rc.path); string(b) != newer {
		t.Errorf("a newer resolv.conf was overwritten with the old backup: %s", b)
	}
	if _, err := os.Lstat(rc.backup); !os.IsNotExist(err) {
		t.Error("stale backup kept")
	}
}

func TestResolvConfMissing(t *testing.T) {
	rc := newTestResolvConf(t)
	os.MkdirAll(filepath.Dir(rc.path), 0o755)
	if err := rc.set("svpn0", rcServers, rcDomains); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(rc.path); !strings.Contains(string(b), "nameserver 10.77.0.53\n") {
		t.Errorf("written: %s", b)
	}
	if err := rc.restore(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(rc.path); err != nil || len(b) != 0 {
		t.Errorf("after restore: %q, %v; want an empty file (same meaning as none)", b, err)
	}
}

func TestResolvConfUsesResolved(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		content string
		want    bool
	}{
		{"nameserver 127.0.0.53\noptions edns0 trust-ad\n", true},
		{"# static\nnameserver 192.168.0.1\n", false},
		{"", false},
	} {
		p := filepath.Join(dir, "resolv.conf")
		os.WriteFile(p, []byte(tc.content), 0o644)
		if got := resolvConfUsesResolved(p); got != tc.want {
			t.Errorf("resolvConfUsesResolved(%q) = %v", tc.content, got)
		}
	}
	if resolvConfUsesResolved(filepath.Join(dir, "absent")) {
		t.Error("an absent file uses resolved")
	}
}
