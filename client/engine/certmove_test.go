package engine_test

import (
	"context"
	"testing"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/engine"
)

// TestCertMoveOpenOwnerOnly: only the session's owner opens a
// certificate-move slot in it; without a session nobody can.
func TestCertMoveOpenOwnerOnly(t *testing.T) {
	eng, d, id := setup(t)
	alice, bob, admin := engine.Caller{UID: "1000"}, engine.Caller{UID: "1001"}, engine.Caller{UID: "0", Admin: true}
	ctx := context.Background()
	req := &api.CertMoveOpenRequest{Certificate: id.Certificate.X509.Raw}
	if _, err := eng.CertMoveOpen(ctx, alice, req); api.CodeOf(err) != api.CodeNotConnected {
		t.Fatalf("without a session: %v", err)
	}
	if _, err := login(t, eng, alice, d, id); err != nil {
		t.Fatal(err)
	}
	for _, c := range []engine.Caller{bob, admin} {
		if _, err := eng.CertMoveOpen(ctx, c, req); api.CodeOf(err) != api.CodeForbidden {
			t.Fatalf("UID %s opened a slot in alice's session: %v", c.UID, err)
		}
	}
	open, err := eng.CertMoveOpen(ctx, alice, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(open.Slot) != 3 || open.Token == "" || open.UserID != d.UserID {
		t.Fatalf("open: %+v", open)
	}
}
