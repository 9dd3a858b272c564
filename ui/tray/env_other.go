//go:build !linux

package tray

// ProbeEnv: Windows and macOS always have a notification area and
// notifications.
func ProbeEnv() Env { return Env{Tray: true, Notifications: true} }
