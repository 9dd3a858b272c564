package tray

import (
	"slices"

	"github.com/godbus/dbus/v5"

	"github.com/opensvpn/svpn/internal/sessionbus"
)

// ProbeEnv checks the session bus for a StatusNotifier host (the tray) and
// a notification service. Fyne and systray only log when these are
// missing; the app says so in the diagnostics and changes how closing the
// window behaves.
func ProbeEnv() Env {
	if !sessionbus.Available() {
		return Env{Notes: []string{"env.no_dbus"}}
	}
	conn, err := dbus.SessionBus() // shared connection, not closed
	if err != nil {
		return Env{Notes: []string{"env.no_dbus"}}
	}
	has := func(name string) bool {
		var ok bool
		if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, name).Store(&ok); err == nil && ok {
			return true
		}
		var names []string
		if err := conn.BusObject().Call("org.freedesktop.DBus.ListActivatableNames", 0).Store(&names); err == nil {
			return slices.Contains(names, name)
		}
		return false
	}
	e := Env{Tray: has("org.kde.StatusNotifierWatcher"), Notifications: has("org.freedesktop.Notifications")}
	if !e.Tray {
		e.Notes = append(e.Notes, "env.no_tray_host")
	}
	if !e.Notifications {
		e.Notes = append(e.Notes, "env.no_notifications")
	}
	return e
}
