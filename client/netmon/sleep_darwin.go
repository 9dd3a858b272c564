package netmon

import "context"

// watchSleep on macOS watches the clocks (clockjump.go): without cgo there
// is no IOKit power notification, and the monotonic clock's pause during
// sleep is a sure sign of one.
func watchSleep(ctx context.Context, resumed func()) error {
	return watchClock(ctx, resumed)
}
