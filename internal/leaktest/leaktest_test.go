package leaktest

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// recorder is a testing.TB that keeps its failure instead of failing.
type recorder struct {
	testing.TB
	failure string
}

func (r *recorder) Helper()                           {}
func (r *recorder) Logf(string, ...any)               {}
func (r *recorder) Fatalf(format string, args ...any) { r.failure = fmt.Sprintf(format, args...) }

func TestWait(t *testing.T) {
	base := Goroutines()
	stop := make(chan struct{})
	go func() { <-stop }()
	time.AfterFunc(50*time.Millisecond, func() { close(stop) })
	Wait(t, base, 5*time.Second) // the goroutine ends in time

	stuck := make(chan struct{})
	go leakedHere(stuck)
	r := &recorder{TB: t}
	Wait(r, base, 100*time.Millisecond)
	close(stuck)
	if !strings.Contains(r.failure, "leakedHere") {
		t.Fatalf("a leaked goroutine, failure without its stack: %q", r.failure)
	}
	Wait(t, base, 5*time.Second) // leave none behind for the next test
}

func leakedHere(stuck chan struct{}) { <-stuck }

func TestSteady(t *testing.T) {
	base := Goroutines()
	stop := make(chan struct{})
	for range 3 {
		go func() { <-stop }()
	}
	time.AfterFunc(30*time.Millisecond, func() { close(stop) })
	if n := Steady(t, 5*time.Second); n > base { // the three have ended
		t.Fatalf("Steady returned %d while goroutines were ending, want at most %d", n, base)
	}

	// A count that keeps changing (growing, here) fails.
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
				go func() { <-done }()
			}
		}
	}()
	Steady(r, 200*time.Millisecond)
	close(done)
	if !strings.Contains(r.failure, "did not settle") {
		t.Fatalf("a changing count, failure %q", r.failure)
	}
	Wait(t, base, 5*time.Second)
}
