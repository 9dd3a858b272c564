// Package netmon tells svpnd when the machine's network changed (a new
// Wi-Fi, a cable plugged in, a VPN-less route appearing after wake-up), so
// the session is checked and the tunnel re-pointed at once instead of at
// the next heartbeat.
package netmon

import (
	"context"
	"time"
)

// Watch calls changed, at most once per settle period, after the OS
// reports a change of routes or addresses, until ctx ends. On systems
// without a change feed it returns at once and svpnd relies on its
// heartbeat and its sleep detection.
func Watch(ctx context.Context, changed func()) error {
	events := make(chan struct{}, 1)
	if err := subscribe(ctx, events); err != nil {
		return err
	}
	const settle = 500 * time.Millisecond // a link change brings a burst of route events
	var timer *time.Timer
	var fire <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return nil
		case _, ok := <-events:
			if !ok {
				return nil
			}
			if timer == nil {
				timer = time.NewTimer(settle)
			} else {
				timer.Reset(settle)
			}
			fire = timer.C
		case <-fire:
			fire = nil
			changed()
		}
	}
}
