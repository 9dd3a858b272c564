// Package sessionbus keeps the app from starting a D-Bus session bus of
// its own. godbus, which Fyne (notifications, the screensaver inhibitor,
// the settings portal) and fyne.io/systray use, runs dbus-launch when
// DBUS_SESSION_BUS_ADDRESS is unset and it finds no bus in the runtime
// directory; the dbus-daemon that starts outlives the app (nothing owns
// it), so every launch of svpn on such a desktop (a bare X server, an ssh
// session) left one more behind.
package sessionbus

import (
	"fmt"
	"os"
	"path/filepath"
)

// Disabled is the address NoAutolaunch sets: a transport godbus does not
// know, so every session bus connection fails at once, as it would
// without a bus, and nothing is started.
const Disabled = "disabled:"

// NoAutolaunch makes sure nothing in this process (or its children, which
// inherit the environment) starts a session bus: when no bus address is
// set and none can be found where godbus looks for one, it sets
// DBUS_SESSION_BUS_ADDRESS to Disabled. It reports whether it did. Call it
// first in main, before anything connects to D-Bus.
func NoAutolaunch() bool {
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return false
	}
	if found() {
		return false // godbus finds it there
	}
	os.Setenv("DBUS_SESSION_BUS_ADDRESS", Disabled)
	return true
}

// Available reports whether there is a session bus to talk to, without
// connecting to it.
func Available() bool {
	a := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	return (a != "" && a != "autolaunch:" && a != Disabled) || found()
}

// found reports whether there is a bus where godbus discovers one:
// $XDG_RUNTIME_DIR (or /run/user/UID) holding "bus" (the socket) or
// "dbus-session" (a file naming the address).
func found() bool {
	dir := os.Getenv("XDG_RUNTIME_DIR")
	if dir == "" {
		dir = fmt.Sprintf("/run/user/%d", os.Getuid())
	}
	for _, name := range []string{"bus", "dbus-session"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return true
		}
	}
	return false
}
