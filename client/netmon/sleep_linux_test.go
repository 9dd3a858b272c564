package netmon

import (
	"context"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/opensvpn/svpn/internal/dbustest"
)

func connect(t *testing.T, addr string) *dbus.Conn {
	t.Helper()
	c, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestWatchSleep plays logind on a private bus: PrepareForSleep(false)
// from the owner of org.freedesktop.login1 is a resume; going to sleep,
// and the same signal from anyone else on the bus, are not.
func TestWatchSleep(t *testing.T) {
	addr := dbustest.Start(t)
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", addr)
	logind := connect(t, addr)
	if reply, err := logind.RequestName(logindName, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("owning %s: %v %v", logindName, reply, err)
	}
	stranger := connect(t, addr)

	ctx, cancel := context.WithCancel(context.Background())
	resumed := make(chan struct{}, 4)
	done := make(chan error, 1)
	go func() { done <- WatchSleep(ctx, func() { resumed <- struct{}{} }) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("WatchSleep: %v", err)
		}
	}()

	emit := func(c *dbus.Conn, sleeping bool) {
		t.Helper()
		if err := c.Emit(logindPath, logindInterface+"."+prepareForSleep, sleeping); err != nil {
			t.Fatal(err)
		}
	}
	// The watcher subscribes asynchronously: resume until it hears one.
	deadline := time.After(10 * time.Second)
	for heard := false; !heard; {
		emit(logind, false)
		select {
		case <-resumed:
			heard = true
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			t.Fatal("no resume seen within 10 s")
		}
	}
	// Resumes the loop sent while the subscription was being made.
	for drained := false; !drained; {
		select {
		case <-resumed:
		case <-time.After(300 * time.Millisecond):
			drained = true
		}
	}
	emit(logind, true)
	emit(stranger, false) // a forged resume
	// A real one after them shows they were handled (in order) and ignored.
	emit(logind, false)
	select {
	case <-resumed:
	case <-time.After(10 * time.Second):
		t.Fatal("the second resume was not seen")
	}
	select {
	case <-resumed:
		t.Fatal("going to sleep, or a signal from a process that is not logind, counted as a resume")
	case <-time.After(300 * time.Millisecond):
	}
}
