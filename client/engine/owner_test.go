package engine_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/engine"
	clientlogin "github.com/opensvpn/svpn/client/login"
	"github.com/opensvpn/svpn/tunnel"
)

// TestBeginLoginRefusedDuringAnotherUsersConnect: while one user's login is
// bringing its tunnel up (the session is not yet active, so "already
// active" does not apply), another local user can neither begin a login of
// their own nor take the state over; an administrator is told a session is
// on its way too.
func TestBeginLoginRefusedDuringAnotherUsersConnect(t *testing.T) {
	_, d, id, g := setupGateway(t)
	quiet := slog.New(slog.DiscardHandler)
	entered, release := make(chan struct{}), make(chan struct{})
	eng := newEngine(t, d, g, func(c tunnel.Config) (tunnel.Tunnel, error) {
		close(entered)
		<-release
		return tunnel.NewUserspace(c, quiet)
	})
	alice, bob := engine.Caller{UID: "1000"}, engine.Caller{UID: "1001"}

	done := make(chan error, 1)
	go func() {
		_, err := clientlogin.Once(context.Background(), asDaemon{eng, alice}, id, d.UserID, d.InitialPassword, "")
		done <- err
	}()
	select {
	case <-entered:
	case err := <-done:
		t.Fatalf("alice's login ended before the tunnel: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("alice's login never reached the tunnel")
	}
	_, err := eng.BeginLogin(context.Background(), bob, "bob01")
	if api.CodeOf(err) != api.CodeForbidden {
		t.Errorf("bob's login during alice's connect: %v, want %s", err, api.CodeForbidden)
	}
	if st := eng.Status(); st.User != d.UserID || st.State != api.StateConnecting {
		t.Errorf("bob's attempt changed the state: %s %s", st.State, st.User)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("alice's login: %v", err)
	}
	if st := eng.Status(); st.State != api.StateConnected || st.User != d.UserID {
		t.Fatalf("after alice's login: %s %s", st.State, st.User)
	}
}
