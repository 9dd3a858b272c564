package engine_test

import (
	"context"
	"testing"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/engine"
)

// TestPasswordChangeIsNotAnError: the first login's demand for a new
// password is a step of the login (state password_change_required), not a
// failure for the helpdesk's list of recent errors; a real failure is.
func TestPasswordChangeIsNotAnError(t *testing.T) {
	eng, d, id, g := setupGateway(t)
	ctx := context.Background()
	if err := g.Store.SetMustChangePassword(ctx, d.UserID, true); err != nil {
		t.Fatal(err)
	}
	me := engine.Caller{UID: "1000"}
	if _, err := login(t, eng, me, d, id); api.CodeOf(err) != api.CodePasswordChangeRequired {
		t.Fatalf("first login: %v", err)
	}
	if st := eng.Status(); st.State != api.StatePasswordChangeRequired {
		t.Fatalf("state %s", st.State)
	}
	for _, e := range eng.Diagnostics(ctx).Errors {
		if e.Code == api.CodePasswordChangeRequired {
			t.Fatalf("recent errors list the password change: %+v", e)
		}
	}
	d.InitialPassword = "wrong-pass1!"
	if _, err := login(t, eng, me, d, id); api.CodeOf(err) != api.CodeBadCredentials {
		t.Fatalf("wrong password: %v", err)
	}
	errs := eng.Diagnostics(ctx).Errors
	if len(errs) == 0 || errs[len(errs)-1].Code != api.CodeBadCredentials {
		t.Fatalf("recent errors %+v lack the wrong password", errs)
	}
}
