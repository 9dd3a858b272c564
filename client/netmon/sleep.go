package netmon

import "context"

// WatchSleep calls resumed each time the machine wakes from sleep or
// hibernation, until ctx ends: the tunnel then re-handshakes at once
// instead of after WireGuard's own timers, and the state shown is true
// within seconds. Where the OS has no such notification svpnd relies on
// its heartbeat noticing the clock jump; WatchSleep then returns nil at
// once.
func WatchSleep(ctx context.Context, resumed func()) error {
	return watchSleep(ctx, resumed)
}
