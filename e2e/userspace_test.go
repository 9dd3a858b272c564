package e2e

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
)

func get(t testing.TB, client *http.Client, u string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// TestUserspaceEndToEnd is the whole client story without privileges: the
// demo gateway, svpnd --userspace, svpnctl login with the NPKI certificate
// and the first-login password change, the portal through the tunnel (the
// loopback forward and the HTTP proxy), a support bundle without secrets, a
// gateway restart survived without a new login, an administrator's kick
// seen within a heartbeat, and logout.
func TestUserspaceEndToEnd(t *testing.T) {
	dir := t.TempDir()
	// Ports 0: the gateway picks free ones and writes them to demo.json.
	gw := start(t, nil, "svpn-gateway", "demo", "--dir", dir, "--listen", "127.0.0.1:0", "--wg-port", "0", "--heartbeat", "1s")
	d := readDemo(t, dir)

	sock := filepath.Join(dir, "svpnd.sock")
	// The proxy on port 0 too: status reports proxy_addr.
	start(t, nil, "svpnd", "run", "--userspace", "--socket", sock, "--profile", d.Profile, "--proxy", "127.0.0.1:0")
	eventually(t, 20*time.Second, "svpnd socket", func() bool {
		code, _ := runCmd(t, nil, "", "svpnctl", "--socket", sock, "status")
		return code == 0
	})
	if st := status(t, nil, sock); st.State != api.StateDisconnected || st.Gateway != d.APIURL {
		t.Fatalf("initial status %+v", st)
	}

	// A wrong certificate password never reaches the gateway.
	code, out := runCmd(t, nil, d.InitialPassword+"\nwrong\n", "svpnctl", "--socket", sock, "login", "--user", d.UserID, "--cert", d.CertPath, "--password-stdin")
	if code != 3 || !strings.Contains(out, "cert_password_wrong") {
		t.Fatalf("wrong certificate password: exit %d\n%s", code, out)
	}
	// First login without a new password: the gateway demands one.
	code, out = runCmd(t, nil, d.InitialPassword+"\n"+d.CertPassword+"\n", "svpnctl", "--socket", sock, "login", "--user", d.UserID, "--cert", d.CertPath, "--password-stdin")
	if code == 0 || !strings.Contains(out, "password_change_required") {
		t.Fatalf("first login without a new password: exit %d\n%s", code, out)
	}
	if st := status(t, nil, sock); st.State != api.StatePasswordChangeRequired || st.LastErrorCode != api.CodePasswordChangeRequired {
		t.Fatalf("status after the refusal: %+v", st)
	}
	// With one: connected.
	const newPW = "Remote-work9!"
	code, out = runCmd(t, nil, d.InitialPassword+"\n"+d.CertPassword+"\n"+newPW+"\n", "svpnctl", "--socket", sock, "login", "--user", d.UserID, "--cert", d.CertPath, "--password-stdin")
	if code != 0 {
		t.Fatalf("login: exit %d\n%s", code, out)
	}
	st := status(t, nil, sock)
	if st.State != api.StateConnected || st.User != d.UserID || st.Address == "" || st.PortalLocalURL == "" || st.LastHandshake.IsZero() {
		t.Fatalf("status after login: %+v", st)
	}

	// The portal through the loopback forward and through the HTTP proxy.
	// The forward wants the token in the owner's URL, then its cookie.
	jar, _ := cookiejar.New(nil)
	direct := &http.Client{Jar: jar, Transport: &http.Transport{Proxy: nil}}
	if page, err := get(t, &http.Client{Transport: &http.Transport{Proxy: nil}}, "http://"+strings.SplitN(strings.TrimPrefix(st.PortalLocalURL, "http://"), "/", 2)[0]+"/"); err != nil || strings.Contains(page, "행정포탈") {
		t.Fatalf("portal via forward without the token: %v %q", err, page)
	}
	if page, err := get(t, direct, st.PortalLocalURL); err != nil || !strings.Contains(page, "행정포탈") {
		t.Fatalf("portal via forward: %v %q", err, page)
	}
	pu, _ := url.Parse(st.ProxyURL)
	if pu == nil || pu.Host != st.ProxyAddr || pu.User == nil {
		t.Fatalf("proxy_url %q for proxy_addr %q", st.ProxyURL, st.ProxyAddr)
	}
	noAuth := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(&url.URL{Scheme: "http", Host: st.ProxyAddr})}}
	if page, err := get(t, noAuth, d.PortalURL); err != nil || strings.Contains(page, "행정포탈") {
		t.Fatalf("portal via proxy without credentials: %v %q", err, page)
	}
	viaProxy := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(pu)}}
	if page, err := get(t, viaProxy, d.PortalURL); err != nil || !strings.Contains(page, "행정포탈") {
		t.Fatalf("portal via proxy: %v %q", err, page)
	}

	// The support bundle carries the story but no secret.
	bundle := filepath.Join(dir, "bundle.zip")
	if code, out := runCmd(t, nil, "", "svpnctl", "--socket", sock, "diag", "--bundle", bundle); code != 0 {
		t.Fatalf("diag --bundle: exit %d\n%s", code, out)
	}
	zr, err := zip.OpenReader(bundle)
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		all.Write(b)
	}
	zr.Close()
	for _, secret := range []string{d.InitialPassword, d.CertPassword, newPW} {
		if strings.Contains(all.String(), secret) {
			t.Fatalf("the support bundle leaks %q", secret)
		}
	}
	if !strings.Contains(all.String(), `"state": "connected"`) {
		t.Fatalf("the bundle lacks the status:\n%.2000s", all.String())
	}

	// The gateway restarts: svpnd rides it out without a new login.
	gw.Stop()
	eventually(t, 15*time.Second, "svpnd noticing the gateway is gone", func() bool {
		return status(t, nil, sock).State == api.StateReconnecting
	})
	// It comes back on the ports it held, which svpnd dials: a restart
	// rebinds its own address, as a real one does.
	apiURL, err := url.Parse(d.APIURL)
	if err != nil {
		t.Fatal(err)
	}
	start(t, nil, "svpn-gateway", "demo", "--dir", dir, "--listen", apiURL.Host, "--wg-port", fmt.Sprint(d.WireGuardPort),
		"--heartbeat", "1s") // stopped by the test's cleanup
	eventually(t, 30*time.Second, "svpnd reconnecting", func() bool {
		return status(t, nil, sock).State == api.StateConnected
	})
	if page, err := get(t, direct, st.PortalLocalURL); err != nil || !strings.Contains(page, "행정포탈") {
		t.Fatalf("portal after the gateway restart: %v %q", err, page)
	}

	// An administrator kicks the session: svpnd reports it within a heartbeat.
	cfg := filepath.Join(dir, "config.json")
	if code, out := runCmd(t, nil, "", "svpn-gateway", "session", "kick", "--config", cfg, "--user", d.UserID); code != 0 {
		t.Fatalf("kick: exit %d\n%s", code, out)
	}
	eventually(t, 10*time.Second, "the kick to reach svpnd", func() bool {
		st := status(t, nil, sock)
		return st.State == api.StateDisconnected && st.LastErrorCode == api.CodeSessionEnded && st.EndReason == "kicked"
	})

	// Log in again with the new password, then log out.
	code, out = runCmd(t, nil, newPW+"\n"+d.CertPassword+"\n", "svpnctl", "--socket", sock, "login", "--user", d.UserID, "--cert", d.CertPath, "--password-stdin")
	if code != 0 {
		t.Fatalf("second login: exit %d\n%s", code, out)
	}
	if code, out := runCmd(t, nil, "", "svpnctl", "--socket", sock, "logout"); code != 0 {
		t.Fatalf("logout: exit %d\n%s", code, out)
	}
	if st := status(t, nil, sock); st.State != api.StateDisconnected || st.Address != "" {
		t.Fatalf("status after logout: %+v", st)
	}
	code, out = runCmd(t, nil, "", "svpn-gateway", "session", "list", "--config", cfg)
	if code != 0 || strings.Contains(out, d.UserID) {
		t.Fatalf("gateway sessions after logout: exit %d\n%s", code, out)
	}
}
