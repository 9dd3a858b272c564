package netmon

import (
	"context"
	"fmt"

	"github.com/godbus/dbus/v5"
)

// logind's sleep signal: PrepareForSleep(true) before suspending,
// PrepareForSleep(false) after resuming.
const (
	logindName      = "org.freedesktop.login1"
	logindPath      = dbus.ObjectPath("/org/freedesktop/login1")
	logindInterface = "org.freedesktop.login1.Manager"
	prepareForSleep = "PrepareForSleep"
)

// watchSleep listens to logind on the system bus (DBUS_SYSTEM_BUS_ADDRESS
// when set, which is how tests point it at a private bus).
func watchSleep(ctx context.Context, resumed func()) error {
	conn, err := dbus.ConnectSystemBus(dbus.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("netmon: system bus: %w", err)
	}
	defer conn.Close()
	return watchLogind(ctx, conn, resumed)
}

// watchLogind calls resumed on each PrepareForSleep(false) that logind
// itself sent: the match names logind's bus name as the sender, and the
// bus delivers only signals from that name's owner, so another process on
// the bus emitting one of the same shape is not heard.
func watchLogind(ctx context.Context, conn *dbus.Conn, resumed func()) error {
	if err := conn.AddMatchSignalContext(ctx, dbus.WithMatchObjectPath(logindPath),
		dbus.WithMatchInterface(logindInterface), dbus.WithMatchMember(prepareForSleep), dbus.WithMatchSender(logindName)); err != nil {
		return fmt.Errorf("netmon: subscribing to logind's sleep signal: %w", err)
	}
	signals := make(chan *dbus.Signal, 8)
	conn.Signal(signals)
	defer conn.RemoveSignal(signals)
	for {
		select {
		case <-ctx.Done():
			return nil
		case sig, ok := <-signals:
			if !ok {
				return fmt.Errorf("netmon: the system bus connection closed")
			}
			if sig.Path != logindPath || sig.Name != logindInterface+"."+prepareForSleep || len(sig.Body) != 1 {
				continue
			}
			sleeping, ok := sig.Body[0].(bool)
			if !ok || sleeping {
				continue
			}
			resumed()
		}
	}
}
