package engine_test

import (
	"context"
	"crypto/x509"
	"errors"
	"log/slog"
	"os"
	"testing"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/engine"
	"github.com/opensvpn/svpn/client/gatewayapi"
	"github.com/opensvpn/svpn/tunnel"
)

// TestTunnelFailureLeavesNoSession: when the gateway accepts a login but
// the tunnel cannot come up (as under Wine, which gives Go programs no UDP
// socket), the gateway's session is ended and the status keeps nothing of
// it: disconnected, with the error, and no address or expiry (seen under
// Wine: "disconnected" with the gateway's address, even after logout).
func TestTunnelFailureLeavesNoSession(t *testing.T) {
	_, d, id, g := setupGateway(t)
	pem, _ := os.ReadFile(d.CAFile)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	url := "https://" + g.APIAddr.String()
	gw, err := gatewayapi.New(url, gatewayapi.Options{RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	eng := engine.New(engine.Options{
		Profile: &api.Profile{Name: "test", GatewayURL: url, GatewayID: d.GatewayID}, Gateway: gw, Userspace: true,
		Logger: slog.New(slog.DiscardHandler),
		NewTunnel: func(tunnel.Config) (tunnel.Tunnel, error) {
			return nil, api.Errorf(api.CodeTunnelDevice, "tunnel: no UDP socket: %w", errors.New("WSAEOPNOTSUPP"))
		},
	})
	t.Cleanup(func() { eng.Close() })
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
