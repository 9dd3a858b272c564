// Package leaktest checks that what a test started has stopped: every
// goroutine has an owner that stops it (DESIGN.md), and a test proves it by
// counting goroutines before and after.
//
// A count is coarse (it cannot tell whose goroutine is left), so a failure
// prints every goroutine's stack: the leak shows where it was started.
// Tests that use it must not run in parallel with others in the package.
package leaktest

import (
	"runtime"
	"testing"
	"time"
)

// Slack is the goroutines a baseline may grow by without a leak: the
// runtime and the net poller start a few on first use.
const Slack = 2

// Goroutines returns how many goroutines exist now: take it as the
// baseline before starting what the test must stop.
func Goroutines() int { return runtime.NumGoroutine() }

// Steady waits, up to timeout, until the goroutine count has stopped
// changing (the same over 5 readings 10 ms apart: what was stopping has
// stopped) and returns it, for a baseline taken right after something
// wound down; it fails t if the count keeps changing.
func Steady(t testing.TB, timeout time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(timeout)
	n, same := runtime.NumGoroutine(), 0
	for same < 4 {
		if time.Now().After(deadline) {
			t.Fatalf("the goroutine count did not settle in %s (last %d)", timeout, n)
			return n
		}
		time.Sleep(10 * time.Millisecond)
		if m := runtime.NumGoroutine(); m == n {
			same++
		} else {
			n, same = m, 0
		}
	}
	return n
}

// Wait waits, up to timeout, until at most max goroutines exist (a
// baseline, plus Slack if the test opens network connections). If more
// remain, it fails t with every goroutine's stack.
func Wait(t testing.TB, max int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		n := runtime.NumGoroutine()
		if n <= max {
			t.Logf("goroutines: %d (at most %d)", n, max)
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines left after %s, want at most %d:\n%s", n, timeout, max, buf[:runtime.Stack(buf, true)])
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
