package ui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
)

// TestTokenPulledMidLogin: the token is pulled out between the first
// signature (the PIN was right, the gateway asked for a new password) and
// the second one (the login that changes the password): the password
// window shows the numbered token_removed error, nothing reaches the
// tunnel, and the app goes on (the login window works again).
func TestTokenPulledMidLogin(t *testing.T) {
	t2 := openTokenPicker(t)
	e, u, rec, lw, p := t2.e, t2.u, t2.rec, t2.lw, t2.p
	test.Tap(p.tokenBtn)
	p.selectRow(0)
	test.Type(p.password, u.CertPassword)
	test.Tap(p.okBtn)
	eventually(t, 30*time.Second, "the password change window", func() bool { return lw.pwChange != nil })
	pw := lw.pwChange
	if pw.flow.tokenID == nil {
		t.Fatal("the flow does not hold the token login")
	}

	// Pull the token out: SoftHSM's slot empties when its folder goes.
	tokens := filepath.Join(filepath.Dir(u.SoftHSM2Conf), "tokens")
	entries, err := os.ReadDir(tokens)
	if err != nil || len(entries) == 0 {
		t.Fatalf("the demo token's folder %s: %v %v", tokens, entries, err)
	}
	for _, en := range entries {
		if err := os.RemoveAll(filepath.Join(tokens, en.Name())); err != nil {
			t.Fatal(err)
		}
	}
	test.Type(pw.newPW, "Token-ui9!")
	test.Type(pw.confirm, "Token-ui9!")
	pw.confirm.OnSubmitted("")
	want := api.Number(api.CodeTokenRemoved) + " "
	eventually(t, 30*time.Second, "the token_removed error", func() bool { return strings.HasPrefix(pw.problem.Text(), want) })
	t.Logf("shown: %s", pw.problem.Text())
	// svpnd began the second login and never got its signature: no
	// tunnel. (It reports "authenticating" until the next login: svpnd
	// has no call to abandon a begun login.)
	if st, _ := e.client.Status(context.Background()); st.State == api.StateConnected || st.State == api.StateConnecting {
		t.Errorf("svpnd after the token was pulled: %s", st.State)
	}
	rec.mu.Lock()
	n := len(rec.connected)
	rec.mu.Unlock()
	if n != 0 {
		t.Errorf("connected %d times", n)
	}
	// The app goes on: cancelling the password window gives the login
	// window back, and the picker opens again, its token tab empty now.
	pw.close(false)
	eventually(t, 10*time.Second, "the login window", func() bool { return lw.pwChange == nil && !lw.busy })
	lw.password.SetText("")
	test.Type(lw.password, u.InitialPassword)
	lw.password.OnSubmitted(lw.password.Text)
	p = lw.picker
	if p == nil {
		t.Fatal("the picker did not open again")
	}
	test.Tap(p.tokenBtn)
	eventually(t, 20*time.Second, "the empty token tab", func() bool {
		return p.tok.listed && len(p.shown) == 0 && p.empty.Visible() && p.empty.Text == T("picker.token_none")
	})
	if p.loc != certstore.LocationToken {
		t.Errorf("location %s", p.loc)
	}
}
