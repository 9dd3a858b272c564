package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/certstore/token"
	"github.com/opensvpn/svpn/client/local"
	"github.com/opensvpn/svpn/client/login"
	"github.com/opensvpn/svpn/gateway"
	"github.com/opensvpn/svpn/internal/softhsm"
)

// TestEveryCertificateKind logs in through svpnd with each of the demo's
// accounts (demo.json "users"), each certificate found where a user's
// picker finds it: NPKI on the hard disk and on the USB drive, GPKI under
// GPKI/Certificate/class2 issued by the demo's GPKI CA, a PKCS#12 file
// (찾아보기), and the SoftHSM token with its non-extractable key.
func TestEveryCertificateKind(t *testing.T) {
	p := startInProcess(t, filepath.Join(t.TempDir(), "d.sock"))
	d := p.d
	// The hard-disk certificates are in the demo's simulated home.
	t.Setenv("HOME", filepath.Join(filepath.Dir(d.Profile), "home"))
	seen := map[string]bool{}
	for _, u := range d.Users {
		seen[u.Kind+"/"+u.Location] = true
		t.Run(u.UserID+"-"+u.Kind+"-"+u.Location, func(t *testing.T) {
			signer := openDemoCertificate(t, d, u)
			c := local.NewClient(p.sock)
			defer c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			asked := false
			st, err := login.Run(ctx, c, signer, u.UserID, u.InitialPassword, func(code api.Code, err error) (string, error) {
				asked = true
				return "Every-kind9!", nil
			})
			if err != nil {
				t.Fatalf("login: %v", err)
			}
			if !asked || st.State != api.StateConnected || st.User != u.UserID {
				t.Fatalf("status after login: %+v (asked for a new password: %v)", st, asked)
			}
			if _, err := c.Logout(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
	for _, k := range []string{"npki/disk", "npki/removable", "gpki/disk", "pkcs12/file", "token/token"} {
		if !seen[k] {
			if k == "token/token" && softhsm.Available() != nil {
				t.Logf("no token account: %v (demo notes: %v)", softhsm.Available(), d.Notes)
				continue
			}
			t.Errorf("the demo has no %s account: %+v", k, d.Users)
		}
	}
}

// openDemoCertificate finds u's certificate the way the picker does and
// unlocks it.
func openDemoCertificate(t *testing.T, d *gateway.Demo, u gateway.DemoUser) login.Signer {
	t.Helper()
	switch u.Location {
	case "disk", "removable":
		src := certstore.SourcesForDrive(d.DriveRoot, certstore.LocationRemovable)
		if u.Location == "disk" {
			src = certstore.DefaultSources() // HOME is the demo's home
		}
		res := certstore.Scan(context.Background(), src)
		for _, c := range res.Certificates {
			if c.Path == u.CertPath {
				if string(c.Location) != u.Location || string(c.Kind) != u.Kind {
					t.Fatalf("%s found as %s/%s", c.Path, c.Kind, c.Location)
				}
				id, err := c.Unlock([]byte(u.CertPassword))
				if err != nil {
					t.Fatal(err)
				}
				return id
			}
		}
		t.Fatalf("%s not found by a scan of %+v: %+v", u.CertPath, src, res)
	case "file":
		// 찾아보기: the file is read, then unlocked with its password; a
		// file whose certificate is encrypted too (as the demo's) opens
		// with the password alone, as the picker's locked row does.
		c, err := certstore.Load(u.CertPath)
		if api.CodeOf(err) == api.CodeCertPasswordNeeded {
			id, err := certstore.LoadPKCS12(u.CertPath, []byte(u.CertPassword))
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		if err != nil {
			t.Fatal(err)
		}
		if c.Kind != certstore.KindPKCS12 || c.Location != certstore.LocationFile {
			t.Fatalf("%s read as %s/%s", u.CertPath, c.Kind, c.Location)
		}
		id, err := c.Unlock([]byte(u.CertPassword))
		if err != nil {
			t.Fatal(err)
		}
		return id
	case "token":
		if !token.Supported() {
			t.Skip("this test binary was built without cgo: no PKCS#11")
		}
		t.Setenv("SOFTHSM2_CONF", u.SoftHSM2Conf)
		id, err := token.NewManager(token.Policy{Extra: []string{u.PKCS11Module}}, 0).Unlock(context.Background(), u.CertPath, []byte(u.CertPassword))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { id.Close() })
		return id
	}
	t.Fatalf("unknown location %q", u.Location)
	return nil
}

var (
	cgoSvpnctlOnce sync.Once
	cgoSvpnctl     string
	cgoSvpnctlErr  error
)

// buildCgoSvpnctl builds svpnctl with cgo, as it must be to load PKCS#11
// modules (the shared binaries of this package are cgo-free).
func buildCgoSvpnctl(t *testing.T) string {
	t.Helper()
	cgoSvpnctlOnce.Do(func() {
		out := filepath.Join(bin, "svpnctl-cgo")
		cmd := exec.Command("go", "build", "-o", out, "../cmd/svpnctl")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		if b, err := cmd.CombinedOutput(); err != nil {
			cgoSvpnctlErr = err
			t.Logf("%s", b)
			return
		}
		cgoSvpnctl = out
	})
	if cgoSvpnctlErr != nil {
		t.Fatalf("building svpnctl with cgo: %v", cgoSvpnctlErr)
	}
	return cgoSvpnctl
}

// TestTokenLoginSvpnctl is the token login as a user or script runs it:
// svpnctl (cgo) `login --cert 'pkcs11:token=…;id=%01' --password-stdin`
// with account password, PIN and new password on standard input, against
// svpnd; a wrong PIN first is refused with E-245 and exit 3.
func TestTokenLoginSvpnctl(t *testing.T) {
	if err := softhsm.Available(); err != nil {
		t.Skipf("SoftHSM e2e skipped: %v", err)
	}
	p := startInProcess(t, filepath.Join(t.TempDir(), "d.sock"))
	var u *gateway.DemoUser
	for i := range p.d.Users {
		if p.d.Users[i].Kind == "token" {
			u = &p.d.Users[i]
		}
	}
	if u == nil {
		t.Fatalf("no token account: %v", p.d.Notes)
	}
	svpnctl := buildCgoSvpnctl(t)
	run := func(stdin string, args ...string) (int, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, svpnctl, append([]string{"--socket", p.sock}, args...)...)
		cmd.Env = append(os.Environ(), "SOFTHSM2_CONF="+u.SoftHSM2Conf, "SVPN_LANG=en")
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		} else if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	code, out := run("", "certs", "list", "--json", "--pkcs11-module", u.PKCS11Module)
	if code != 0 || !strings.Contains(out, `"location": "token"`) || !strings.Contains(out, `"token": "`+gateway.DemoTokenLabel+`"`) {
		t.Fatalf("certs list: exit %d\n%s", code, out)
	}
	login := []string{"login", "--user", u.UserID, "--cert", u.CertPath, "--pkcs11-module", u.PKCS11Module, "--password-stdin"}
	code, out = run(u.InitialPassword+"\nwrong-pin\n", login...)
	if code != 3 || !strings.Contains(out, "E-245") {
		t.Fatalf("wrong PIN: exit %d\n%s", code, out)
	}
	code, out = run(u.InitialPassword+"\n"+u.CertPassword+"\nToken-login9!\n", login...)
	if code != 0 || !strings.Contains(out, "connected") {
		t.Fatalf("login: exit %d\n%s", code, out)
	}
	c := local.NewClient(p.sock)
	defer c.Close()
	st, err := c.Status(context.Background())
	if err != nil || st.State != api.StateConnected || st.User != u.UserID {
		t.Fatalf("status: %+v %v", st, err)
	}
}
