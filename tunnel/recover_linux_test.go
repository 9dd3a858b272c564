//go:build linux

package tunnel

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// TestRecoverTaggedResolvConf: the state file is gone (lost, or moved
// aside as unreadable) but resolv.conf is still SVPN's, tagged with its
// marker, and the backup is in the state directory: the next start puts
// the original back. A resolv.conf someone else wrote since is kept.
func TestRecoverTaggedResolvConf(t *testing.T) {
	quiet := slog.New(slog.DiscardHandler)
	for _, c := range []struct {
		name        string
		rewrittenBy string // "" the file stays SVPN's
	}{
		{"ours", ""},
		{"rewritten since", "# NetworkManager\nnameserver 203.0.113.1\n"},
		{"state file unreadable", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			rc := newTestResolvConf(t)
			stateDir := filepath.Dir(rc.backup)
			orig := "# the machine's own\nnameserver 192.168.0.1\nsearch home.lan\n"
			os.MkdirAll(filepath.Dir(rc.path), 0o755)
			os.WriteFile(rc.path, []byte(orig), 0o644)
			if err := rc.set("svpn0", rcServers, rcDomains); err != nil {
				t.Fatal(err)
			}
			want := orig
			if c.rewrittenBy != "" {
				os.WriteFile(rc.path, []byte(c.rewrittenBy), 0o644)
				want = c.rewrittenBy
			}
			if c.name == "state file unreadable" {
				os.WriteFile(statePath(stateDir), []byte("{not json"), 0o600)
			}
			open := func(log *slog.Logger) (host, error) {
				nl, err := netlink.NewHandle(unix.NETLINK_ROUTE)
				if err != nil {
					return nil, err
				}
				return &linuxHost{nl: nl, log: log, resolvConf: rc.path}, nil
			}
			err := recoverState(stateDir, quiet, open)
			if c.name == "state file unreadable" {
				if err == nil {
					t.Fatal("an unreadable state file was not reported")
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(rc.path); string(got) != want {
				t.Fatalf("resolv.conf after the restart:\n%s\nwant:\n%s", got, want)
			}
			if _, err := os.Lstat(rc.backup); !os.IsNotExist(err) {
				t.Fatalf("the backup stayed: %v", err)
			}
		})
	}
}
