package netmon

import (
	"context"
	"time"
)

// Where no notification can be had without cgo (macOS: IOKit's
// IORegisterForSystemPower needs a run loop), a sleep shows in the clocks:
// Go's monotonic clock on macOS is mach_absolute_time, which stops while
// the machine sleeps, and the wall clock does not. A ticker compares the
// two; a tick that comes far too late (a monotonic clock that does count
// sleep, a process that was suspended) counts as well.

// clockTick is how often the clocks are compared, and jumpSlack how much
// divergence is taken for a sleep rather than NTP slewing or a late tick
// on a busy machine. A clock set by hand also looks like a wake: the
// cost is one early heartbeat.
const (
	clockTick = 5 * time.Second
	jumpSlack = 10 * time.Second
)

// sleptBetween decides from one tick's readings: wall and mono are how
// much the wall and the monotonic clocks advanced since the last tick,
// interval how much should have.
func sleptBetween(wall, mono, interval time.Duration) bool {
	if wall-mono > jumpSlack {
		return true // the monotonic clock paused: the machine slept
	}
	return mono > interval+jumpSlack // the tick itself was held up
}

// watchClock calls resumed after each tick that shows a sleep, until ctx
// ends.
func watchClock(ctx context.Context, resumed func()) error {
	t := time.NewTicker(clockTick)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		now := time.Now()
		// Round(0) strips the monotonic reading: Sub then uses the wall
		// clock.
		wall, mono := now.Round(0).Sub(last.Round(0)), now.Sub(last)
		last = now
		if sleptBetween(wall, mono, clockTick) {
			resumed()
		}
	}
}
