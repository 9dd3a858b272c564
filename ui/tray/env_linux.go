package tray

import (
	"slices"

	"github.com/godbus/dbus/v5"

	"github.com/opensvpn/svpn/internal/sessionbus"
)

// D-Bus names the probe looks for.
const (
	watcherName       = "org.kde.StatusNotifierWatcher"
	watcherPath       = "/StatusNotifierWatcher"
	notificationsName = "org.freedesktop.Notifications"
)

// ProbeEnv checks the session bus for a tray host and a notification
// service. Fyne and systray only log when these are missing; the app says
// so in the diagnostics and keeps a connection window open instead of the
// tray icon. It never starts a bus (sessionbus.NoAutolaunch) nor a
// service: only name owners and activatable names are asked.
func ProbeEnv() Env {
	if !sessionbus.Available() {
		return Env{Notes: []string{"env.no_dbus"}}
	}
	conn, err := dbus.SessionBus() // shared connection, not closed
	if err != nil {
		return Env{Notes: []string{"env.no_dbus"}}
	}
	return probeBus(conn)
}

func probeBus(conn *dbus.Conn) Env {
	bus := conn.BusObject()
	owned := func(name string) bool {
		var ok bool
		return bus.Call("org.freedesktop.DBus.NameHasOwner", 0, name).Store(&ok) == nil && ok
	}
	activatable := func(name string) bool {
		var names []string
		return bus.Call("org.freedesktop.DBus.ListActivatableNames", 0).Store(&names) == nil && slices.Contains(names, name)
	}
	e := Env{
		Tray: owned(watcherName) && hostRegistered(conn),
		// Notification daemons are commonly started on demand by the bus.
		Notifications: owned(notificationsName) || activatable(notificationsName),
	}
	if !e.Tray {
		e.Notes = append(e.Notes, "env.no_tray_host")
	}
	if !e.Notifications {
		e.Notes = append(e.Notes, "env.no_notifications")
	}
	return e
}

// hostRegistered asks a running StatusNotifierWatcher whether a host (a
// panel that draws the icons) is registered with it: a watcher alone, as
// some session daemons run, shows nothing. A watcher without the property
// is taken at its word.
func hostRegistered(conn *dbus.Conn) bool {
	v, err := conn.Object(watcherName, watcherPath).GetProperty(watcherName + ".IsStatusNotifierHostRegistered")
	if err != nil {
		return true
	}
	ok, isBool := v.Value().(bool)
	return !isBool || ok
}
