package e2e

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/internal/dbustest"
)

// playLogind owns logind's bus name on a private bus and sends its sleep
// signal.
type playLogind struct {
	t    *testing.T
	conn *dbus.Conn
}

func newLogind(t *testing.T, addr string) *playLogind {
	c, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if reply, err := c.RequestName("org.freedesktop.login1", dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("owning org.freedesktop.login1: %v %v", reply, err)
	}
	return &playLogind{t: t, conn: c}
}

func (l *playLogind) prepareForSleep(sleeping bool) {
	l.t.Helper()
	if err := l.conn.Emit("/org/freedesktop/login1", "org.freedesktop.login1.Manager.PrepareForSleep", sleeping); err != nil {
		l.t.Fatal(err)
	}
}

// TestResumeAndRouteChange: the heartbeat is a minute, so only svpnd's
// reaction to logind's PrepareForSleep (on a private bus) or to a new
// default route can make the state true within 10 s: a session kicked
// while the PC slept shows as ended, a live one re-handshakes at once.
func TestResumeAndRouteChange(t *testing.T) {
	w := newWorld(t, 0)
	bus := dbustest.Start(t)
	logind := newLogind(t, bus)
	d, profile := w.alwaysOnGateway(t, api.AlwaysOn{}, "--heartbeat", "60s")
	cd := newClientDaemon(t, profile)
	cd.env = []string{"DBUS_SYSTEM_BUS_ADDRESS=" + bus}
	w.startSvpnd(t, cd)
	svpnctlLogin(t, d, cd.sock, d.InitialPassword, "Resume-pass9!")
	// svpnd subscribes to logind at start; give it that moment.
	time.Sleep(500 * time.Millisecond)

	// Asleep, the session is kicked; on resume svpnd asks the gateway at
	// once.
	logind.prepareForSleep(true)
	cfg := filepath.Join(filepath.Dir(profile), "config.json")
	if code, out := runCmd(t, nil, "", "svpn-gateway", "session", "kick", "--config", cfg, "--user", d.UserID); code != 0 {
		t.Fatalf("kick: exit %d\n%s", code, out)
	}
	time.Sleep(time.Second) // the state must not change before the resume
	if st := status(t, nil, cd.sock); st.State != api.StateConnected {
		t.Fatalf("the state changed before the resume (heartbeat 60 s): %+v", st)
	}
	logind.prepareForSleep(false)
	eventually(t, 10*time.Second, "the kicked session to show after resume", func() bool {
		st := status(t, nil, cd.sock)
		return st.State == api.StateDisconnected && st.EndReason == api.EndKicked
	})

	// A live session re-handshakes on resume.
	svpnctlLogin(t, d, cd.sock, "Resume-pass9!", "")
	st := status(t, nil, cd.sock)
	time.Sleep(1100 * time.Millisecond)
	logind.prepareForSleep(true)
	logind.prepareForSleep(false)
	eventually(t, 10*time.Second, "a fresh handshake after resume", func() bool {
		now := status(t, nil, cd.sock)
		return now.State == api.StateConnected && now.LastHandshake.After(st.LastHandshake)
	})

	// So does a new default route (another network).
	st = status(t, nil, cd.sock)
	time.Sleep(1100 * time.Millisecond)
	sh(t, append(nsExec(w.client), "ip", "route", "add", "default", "via", w.gwIP.String(), "metric", "100")...)
	eventually(t, 10*time.Second, "a fresh handshake after a route change", func() bool {
		now := status(t, nil, cd.sock)
		return now.State == api.StateConnected && now.LastHandshake.After(st.LastHandshake)
	})
}
