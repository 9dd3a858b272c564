package netmon

import (
	"context"
	"testing"
	"time"
)

// TestSleptBetween: the decision on readings as macOS gives them after a
// sleep (the monotonic clock paused), after a suspended process (the tick
// late on both clocks), and the ordinary cases that must not count.
func TestSleptBetween(t *testing.T) {
	s := time.Second
	for _, c := range []struct {
		name       string
		wall, mono time.Duration
		want       bool
	}{
		{"ordinary tick", 5 * s, 5 * s, false},
		{"busy machine, tick 3 s late", 8 * s, 8 * s, false},
		{"NTP slews the wall clock", 5*s + 200*time.Millisecond, 5 * s, false},
		{"NTP steps the wall clock back", -2 * s, 5 * s, false},
		{"slept 1 h: monotonic paused", time.Hour + 5*s, 5 * s, true},
		{"slept 20 s", 25 * s, 5 * s, true},
		{"process held up 1 min on both clocks", time.Minute, time.Minute, true},
		{"just under the slack", 5*s + 10*s, 5 * s, false},
	} {
		if got := sleptBetween(c.wall, c.mono, 5*s); got != c.want {
			t.Errorf("%s (wall %v, mono %v): %v, want %v", c.name, c.wall, c.mono, got, c.want)
		}
	}
}

// TestWatchClockStops: the watcher's goroutine ends with its context.
func TestWatchClockStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- watchClock(ctx, func() { t.Error("resumed without a sleep") }) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("watchClock did not stop")
	}
}
