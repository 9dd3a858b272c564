package tray

// Env is what the desktop offers the tray process.
type Env struct {
	// Tray: a tray icon can be shown. Without it (no D-Bus session bus, or
	// no StatusNotifier host on Linux) the app lives only while a window is
	// open or a connection is up.
	Tray bool
	// Notifications: desktop notifications can be shown.
	Notifications bool
	// Notes are translation keys saying what is missing, for the
	// diagnostics.
	Notes []string
}
