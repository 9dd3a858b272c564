package netmon

import "context"

// WatchSleep calls resumed each time the machine wakes from sleep or
// hibernation, until ctx ends: the tunnel then re-handshakes at once
// instead of after WireGuard's own timers, and the state shown is true
// within seconds: logind's PrepareForSleep over D-Bus on Linux, the power
// manager's suspend/resume notification on Windows, the monotonic clock's
// pause on macOS (clockjump.go). Where there is none (Windows before 8)
// svpnd relies on its heartbeat noticing the clock jump, and WatchSleep
// returns nil at once.
func WatchSleep(ctx context.Context, resumed func()) error {
	return watchSleep(ctx, resumed)
}
