package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/opensvpn/svpn/client/engine"
	"github.com/opensvpn/svpn/internal/leaktest"
)

// TestCloseStopsGoroutines: a session's goroutines (heartbeat, proxy,
// portal forward, the userspace tunnel) all end with Close.
func TestCloseStopsGoroutines(t *testing.T) {
	eng, d, id := setup(t)
	alice := engine.Caller{UID: "1000"}
	// A first session warms up what outlives sessions by design: gVisor's
	// process-wide workers, the gateway client's pooled connection.
	if _, err := login(t, eng, alice, d, id); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Logout(context.Background(), alice); err != nil {
		t.Fatal(err)
	}
	base := leaktest.Steady(t, 5*time.Second) // the gateway side of the logout winds down

	if _, err := login(t, eng, alice, d, id); err != nil {
		t.Fatal(err)
	}
	if n := leaktest.Goroutines(); n <= base {
		t.Fatalf("goroutines: %d in a session, %d before: the count tells nothing", n, base)
	}
	eng.Close()
	leaktest.Wait(t, base+leaktest.Slack, 10*time.Second)
}
