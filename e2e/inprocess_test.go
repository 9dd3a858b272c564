package e2e

import (
	"context"
	"crypto/rand"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/client/local"
)

// TestInProcess runs gateway and daemon in this process, no root: the
// gateway on netstack, svpnd in userspace mode on a unix socket, a login
// with the NPKI key file through the local API (the key stays here), the
// first-login password change, the portal through the tunnel, and logout
// removing the gateway's peer.
func TestInProcess(t *testing.T) {
	ctx := context.Background()
	p := startInProcess(t, filepath.Join(t.TempDir(), "d.sock"))
	g, d, sock := p.g, p.d, p.sock
	c := local.NewClient(sock)
	defer c.Close()

	cert, err := certstore.Load(d.CertPath)
	if err != nil {
		t.Fatal(err)
	}
	id, err := cert.Unlock([]byte(d.CertPassword))
	if err != nil {
		t.Fatal(err)
	}
	login := func(pw, newPW string) (api.Status, error) {
		begin, err := c.LoginBegin(ctx, d.UserID)
		if err != nil {
			return api.Status{}, err
		}
		msg, _ := begin.Binding.Message()
		sig, alg, err := id.Sign(rand.Reader, msg, "")
		if err != nil {
			return api.Status{}, err
		}
		return c.LoginFinish(ctx, &api.LoginFinishRequest{LoginID: begin.LoginID, Password: pw, NewPassword: newPW,
			Certificate: cert.X509.Raw, Signature: sig, SignatureAlgorithm: alg})
	}
	if _, err := login(d.InitialPassword, ""); api.CodeOf(err) != api.CodePasswordChangeRequired {
		t.Fatalf("first login: %v", err)
	}
	if _, err := login(d.InitialPassword, "short"); api.CodeOf(err) != api.CodePasswordPolicy {
		t.Fatalf("weak new password: %v", err)
	} else if r, _ := api.RefusalOf(err); len(r.Violations) == 0 {
		t.Fatal("no violations listed")
	}
	st, err := login(d.InitialPassword, "In-process9!")
	if err != nil {
		t.Fatal(err)
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
	if peers, _ := g.Device.Peers(); len(peers) != 1 {
		t.Fatalf("gateway has %d peers while connected", len(peers))
	}
	if _, err := c.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if peers, _ := g.Device.Peers(); len(peers) != 0 {
		t.Fatalf("logout left %d peer(s) on the gateway", len(peers))
	}
	if err := p.stop(); err != nil {
		t.Fatalf("svpnd: %v", err)
	}
}
