package e2e

import (
	"context"
	"crypto/x509"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/local"
	"github.com/opensvpn/svpn/mobileid"
	"github.com/opensvpn/svpn/mobileid/phone"
	"github.com/opensvpn/svpn/mobileid/wallet"
)

// demoPhone is the demo wallet's phone: it trusts the demo CA.
func demoPhone(t testing.TB, w *wallet.Wallet) *phone.Phone {
	t.Helper()
	pem, err := os.ReadFile(w.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return phone.New(pool)
}

// TestInProcessMobileID: svpnd runs a QR login, the demo wallet approves
// it, and the session is the same as a certificate login's: connected,
// portal through the tunnel, logout removes the peer.
func TestInProcessMobileID(t *testing.T) {
	ctx := context.Background()
	p := startInProcess(t, filepath.Join(t.TempDir(), "d.sock"))
	c := local.NewClient(p.sock)
	defer c.Close()

	begin, err := c.MobileBegin(ctx, p.d.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if len(begin.QR) > mobileid.MaxQRLen {
		t.Fatalf("QR of %d characters", len(begin.QR))
	}
	if st, _ := c.Status(ctx); st.State != api.StateAuthenticating {
		t.Fatalf("while the QR is shown: %s", st.State)
	}
	w, err := wallet.Open(p.d.WalletPath)
	if err != nil {
		t.Fatal(err)
	}
	key, err := w.Unlock(p.d.WalletPIN)
	if err != nil {
		t.Fatal(err)
	}
	qr, err := mobileid.ParseRequest(begin.QR)
	if err != nil {
		t.Fatal(err)
	}
	ph := demoPhone(t, w)
	req, err := ph.Fetch(ctx, qr)
	if err != nil {
		t.Fatal(err)
	}
	if req.Profile.ShortCode != begin.ShortCode {
		t.Fatalf("the phone shows %s, the PC %s", req.Profile.ShortCode, begin.ShortCode)
	}
	if err := ph.Approve(ctx, req, key, w.Credential); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	st, err := c.MobileWait(wctx, begin.LoginID)
	if err != nil {
		t.Fatal(err)
	}
	if st.State != api.StateConnected || st.User != p.d.UserID {
		t.Fatalf("after approval: %+v", st)
	}
	resp, err := portalClient().Get(st.PortalLocalURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "행정포탈") {
		t.Fatalf("portal: %q", page)
	}
	if _, err := c.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if peers, _ := p.g.Device.Peers(); len(peers) != 0 {
		t.Fatalf("logout left %d peer(s)", len(peers))
	}

	// Cancelled on the PC: numbered, and the phone finds nothing to approve.
	begin, err = c.MobileBegin(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.MobileCancel(ctx, begin.LoginID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.MobileWait(ctx, begin.LoginID); api.CodeOf(err) != api.CodeMobileCancelled {
		t.Fatalf("wait after cancel: %v", err)
	}
	if st, _ := c.Status(ctx); st.State != api.StateDisconnected || st.LastErrorCode != api.CodeMobileCancelled {
		t.Fatalf("status after cancel: %+v", st)
	}
	// Declined on the phone.
	begin, err = c.MobileBegin(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	qr, _ = mobileid.ParseRequest(begin.QR)
	if req, err = ph.Fetch(ctx, qr); err != nil {
		t.Fatal(err)
	}
	if err := ph.Decline(ctx, req); err != nil {
		t.Fatal(err)
	}
	if _, err := c.MobileWait(wctx, begin.LoginID); api.CodeOf(err) != api.CodeMobileDeclined {
		t.Fatalf("wait after decline: %v", err)
	}
}
