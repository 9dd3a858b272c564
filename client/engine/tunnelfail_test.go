package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/engine"
	"github.com/opensvpn/svpn/tunnel"
)

// TestTunnelFailureLeavesNoSession: when the gateway accepts a login but
// the tunnel cannot come up (as under Wine, which gives Go programs no UDP
// socket), the gateway's session is ended and the status keeps nothing of
// it: disconnected, with the error, and no address or expiry (seen under
// Wine: "disconnected" with the gateway's address, even after logout).
func TestTunnelFailureLeavesNoSession(t *testing.T) {
	_, d, id, g := setupGateway(t)
	eng := newEngine(t, d, g, func(tunnel.Config) (tunnel.Tunnel, error) {
		return nil, api.Errorf(api.CodeTunnelDevice, "tunnel: no UDP socket: %w", errors.New("WSAEOPNOTSUPP"))
	})
	alice := engine.Caller{UID: "1000"}
	if _, err := login(t, eng, alice, d, id); api.CodeOf(err) != api.CodeTunnelDevice {
		t.Fatalf("login: %v, want %s", err, api.CodeTunnelDevice)
	}
	st := eng.Status()
	if st.State != api.StateDisconnected || st.LastErrorCode != api.CodeTunnelDevice || st.Address != "" || !st.SessionExpiresAt.IsZero() {
		t.Errorf("status after the failed tunnel: state %s, error %s, address %q, expires %v", st.State, st.LastErrorCode, st.Address, st.SessionExpiresAt)
	}
	if ss, err := g.Store.ListUserSessions(context.Background(), d.UserID); err != nil || len(ss) != 0 {
		t.Errorf("the gateway still holds %d session(s) (%v)", len(ss), err)
	}
}
