package engine_test

import (
	"context"
	"io"
	"testing"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/client/engine"
	clientlogin "github.com/opensvpn/svpn/client/login"
)

// pulledSigner is a key that cannot sign any more (a token pulled out).
type pulledSigner struct{ *certstore.Identity }

func (pulledSigner) Sign(io.Reader, []byte, api.SignatureAlgorithm) ([]byte, api.SignatureAlgorithm, error) {
	return nil, "", api.Errorf(api.CodeTokenRemoved, "the token was pulled out")
}

// TestLoginAbandonedWhenTheKeyCannotSign: a login the front end cannot sign
// is cancelled, so svpnd shows disconnected (not "authenticating" until
// the next login) and its begun login cannot be finished any more.
func TestLoginAbandonedWhenTheKeyCannotSign(t *testing.T) {
	eng, d, id := setup(t)
	alice := engine.Caller{UID: "1000"}
	_, err := clientlogin.Once(context.Background(), asDaemon{eng, alice}, pulledSigner{id}, d.UserID, d.InitialPassword, "")
	if api.CodeOf(err) != api.CodeTokenRemoved {
		t.Fatalf("login with a key that cannot sign: %v", err)
	}
	if st := eng.Status(); st.State != api.StateDisconnected {
		t.Errorf("after the abandoned login: %s, want %s", st.State, api.StateDisconnected)
	}
}

// TestCancelLoginOwner: only the user who began a login (or an
// administrator) may cancel it; a cancelled login cannot be finished.
func TestCancelLoginOwner(t *testing.T) {
	eng, d, _ := setup(t)
	ctx := context.Background()
	alice, bob := engine.Caller{UID: "1000"}, engine.Caller{UID: "1001"}
	begin, err := eng.BeginLogin(ctx, alice, d.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.CancelLogin(ctx, bob, begin.LoginID); api.CodeOf(err) != api.CodeForbidden {
		t.Fatalf("bob cancels alice's login: %v, want %s", err, api.CodeForbidden)
	}
	if st := eng.Status(); st.State != api.StateAuthenticating {
		t.Fatalf("after bob's attempt: %s", st.State)
	}
	st, err := eng.CancelLogin(ctx, alice, begin.LoginID)
	if err != nil || st.State != api.StateDisconnected {
		t.Fatalf("alice cancels: %s, %v", st.State, err)
	}
	_, err = eng.FinishLogin(ctx, alice, &api.LoginFinishRequest{LoginID: begin.LoginID, Password: d.InitialPassword})
	if api.CodeOf(err) != api.CodeLoginExpired {
		t.Errorf("finishing a cancelled login: %v, want %s", err, api.CodeLoginExpired)
	}
	if _, err := eng.CancelLogin(ctx, alice, begin.LoginID); api.CodeOf(err) != api.CodeLoginExpired {
		t.Errorf("cancelling twice: %v", err)
	}
}
