package tray

import (
	"slices"
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"

	"github.com/godbus/dbus/v5/prop"
	"github.com/opensvpn/svpn/internal/dbustest"
)

// privateBus starts a dbus-daemon of the test's own (internal/dbustest)
// and returns a connection to it.
func privateBus(t *testing.T) (addr string, conn *dbus.Conn) {
	t.Helper()
	addr = dbustest.Start(t)
	return addr, connect(t, addr)
}

func connect(t *testing.T, addr string) *dbus.Conn {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

type sniWatcher struct{}

func (sniWatcher) RegisterStatusNotifierItem(string) *dbus.Error { return nil }

// serveWatcher owns the StatusNotifierWatcher name on conn; host is its
// IsStatusNotifierHostRegistered, or none when nil.
func serveWatcher(t *testing.T, conn *dbus.Conn, host *bool) {
	t.Helper()
	if r, err := conn.RequestName(watcherName, dbus.NameFlagDoNotQueue); err != nil || r != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("owning %s: %v %v", watcherName, r, err)
	}
	if err := conn.Export(sniWatcher{}, watcherPath, watcherName); err != nil {
		t.Fatal(err)
	}
	if host != nil {
		if _, err := prop.Export(conn, watcherPath, prop.Map{watcherName: {
			"IsStatusNotifierHostRegistered": {Value: *host, Emit: prop.EmitFalse},
		}}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestProbeEnv: the tray counts only with a StatusNotifierWatcher that
// has a host (or does not say), notifications only with an owner of
// org.freedesktop.Notifications; and no bus at all is said so without
// starting one.
func TestProbeEnv(t *testing.T) {
	notes := func(e Env) string { return strings.Join(e.Notes, ",") }
	t.Run("bare bus", func(t *testing.T) {
		_, conn := privateBus(t)
		if e := probeBus(conn); e.Tray || e.Notifications || notes(e) != "env.no_tray_host,env.no_notifications" {
			t.Errorf("%+v", e)
		}
	})
	for _, tc := range []struct {
		name string
		host *bool
		tray bool
	}{{"watcher without host", new(false), false}, {"watcher with host", new(true), true}, {"watcher saying nothing", nil, true}} {
		t.Run(tc.name, func(t *testing.T) {
			addr, conn := privateBus(t)
			serveWatcher(t, connect(t, addr), tc.host)
			if e := probeBus(conn); e.Tray != tc.tray {
				t.Errorf("tray %v, want %v (%+v)", e.Tray, tc.tray, e)
			}
		})
	}
	t.Run("notifications", func(t *testing.T) {
		addr, conn := privateBus(t)
		if _, err := connect(t, addr).RequestName(notificationsName, dbus.NameFlagDoNotQueue); err != nil {
			t.Fatal(err)
		}
		if e := probeBus(conn); !e.Notifications || slices.Contains(e.Notes, "env.no_notifications") {
			t.Errorf("%+v", e)
		}
	})
	t.Run("no bus", func(t *testing.T) {
		t.Setenv("DBUS_SESSION_BUS_ADDRESS", "disabled:")
		t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
		if e := ProbeEnv(); e.Tray || e.Notifications || notes(e) != "env.no_dbus" {
			t.Errorf("%+v", e)
		}
	})
}
