package e2e

import (
	zippkg "archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/client/local"
)

// childRequestEnv makes the test binary a raw local API client: it sends
// one request (method, path, body from the variables below) to the socket
// and prints the HTTP status code and the first line of the answer. The
// other-user test runs it as uid 65534.
const (
	childRequestEnv = "SVPN_E2E_CHILD_REQUEST" // "METHOD PATH"
	childSocketEnv  = "SVPN_E2E_CHILD_SOCKET"
	childBodyEnv    = "SVPN_E2E_CHILD_BODY"
)

func childRequest() int {
	method, path, _ := strings.Cut(os.Getenv(childRequestEnv), " ")
	sock := os.Getenv(childSocketEnv)
	hc := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		}}}
	req, err := http.NewRequest(method, "http://svpnd"+path, strings.NewReader(os.Getenv(childBodyEnv)))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	resp, err := hc.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer resp.Body.Close()
	line, _ := bufio.NewReader(resp.Body).ReadString('\n') // one status of a watch stream
	fmt.Printf("%d\n%s", resp.StatusCode, strings.TrimSpace(line))
	return 0
}

// nobody is uid/gid 65534.
const nobody = 65534

// asNobody runs argv as uid 65534 in dir and returns exit code and output.
func asNobody(t *testing.T, dir string, env []string, argv ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "HOME=" + dir}, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatalf("%s as uid %d: %v\n%s", argv[0], nobody, err, out)
	}
	return 0, string(out)
}

// rawAsNobody sends one local API request as uid 65534 and returns the
// HTTP status and the first line of the answer.
func rawAsNobody(t *testing.T, dir, sock, method, path, body string) (int, string) {
	t.Helper()
	code, out := asNobody(t, dir, []string{childRequestEnv + "=" + method + " " + path, childSocketEnv + "=" + sock, childBodyEnv + "=" + body},
		filepath.Join(dir, "e2e.test"))
	status, first, _ := strings.Cut(out, "\n")
	var n int
	if code != 0 || func() error { _, err := fmt.Sscan(status, &n); return err }() != nil {
		t.Fatalf("%s %s as uid %d: exit %d\n%s", method, path, nobody, code, out)
	}
	return n, first
}

func copyExecutable(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestLocalAPIOtherUser runs a second, unprivileged local user (uid 65534,
// through svpnctl and raw requests) against a real svpnd socket while root
// has a session: it reads only the reduced status, cannot finish root's
// login, log root out, or fetch diagnostics or a support bundle. Root can,
// and is held to one bundle per interval.
func TestLocalAPIOtherUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a client as another user (uid 65534); CI runs as root")
	}
	// What uid 65534 runs and dials lives in a directory it can reach
	// (t.TempDir is 0700).
	shared, err := os.MkdirTemp("", "svpn-e2e-other-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(shared) })
	if err := os.Chmod(shared, 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	copyExecutable(t, self, filepath.Join(shared, "e2e.test"))
	copyExecutable(t, filepath.Join(bin, "svpnctl"), filepath.Join(shared, "svpnctl"))
	ctl := filepath.Join(shared, "svpnctl")
	// A directory uid 65534 may write its bundle to.
	nobodyDir := filepath.Join(shared, "nobody")
	if err := os.Mkdir(nobodyDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(nobodyDir, nobody, nobody); err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	p := startInProcess(t, filepath.Join(shared, "svpnd.sock"))
	d, sock := p.d, p.sock
	c := local.NewClient(sock)
	defer c.Close()

	// Root starts a login; uid 65534 tries to finish it with the login ID
	// (as if it had learnt it) and is refused, and root's login survives.
	begin, err := c.LoginBegin(ctx, d.UserID)
	if err != nil {
		t.Fatal(err)
	}
	finish, _ := json.Marshal(api.LoginFinishRequest{LoginID: begin.LoginID, Password: "guess"})
	if code, body := rawAsNobody(t, shared, sock, "POST", api.LocalPathLoginFinish, string(finish)); code != http.StatusForbidden || !strings.Contains(body, `"forbidden"`) {
		t.Fatalf("uid %d finishing root's login: %d %s, want 403 forbidden", nobody, code, body)
	}
	if code, body := rawAsNobody(t, shared, sock, "GET", api.LocalPathStatus, ""); code != http.StatusOK ||
		!strings.Contains(body, `"other_user":true`) || strings.Contains(body, d.UserID) {
		t.Fatalf("uid %d reading the status during root's login: %d %s", nobody, code, body)
	}
	cert, err := certstore.Load(d.CertPath)
	if err != nil {
		t.Fatal(err)
	}
	id, err := cert.Unlock([]byte(d.CertPassword))
	if err != nil {
		t.Fatal(err)
	}
	msg, err := begin.Binding.Message()
	if err != nil {
		t.Fatal(err)
	}
	sig, alg, err := id.Sign(rand.Reader, msg, "")
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.LoginFinish(ctx, &api.LoginFinishRequest{LoginID: begin.LoginID, Password: d.InitialPassword, NewPassword: "Other-user9!",
		Certificate: cert.X509.Raw, Signature: sig, SignatureAlgorithm: alg})
	if err != nil {
		t.Fatalf("root's login after uid %d's attempt: %v", nobody, err)
	}
	if st.State != api.StateConnected || st.User != d.UserID || st.Address == "" || st.PortalLocalURL == "" || st.OtherUser {
		t.Fatalf("root's status: %+v", st)
	}

	// The reduced status, through svpnctl and through the watch stream.
	code, out := asNobody(t, nobodyDir, nil, ctl, "--socket", sock, "status", "--json")
	var other api.Status
	if code != 0 || json.Unmarshal([]byte(out), &other) != nil {
		t.Fatalf("svpnctl status as uid %d: exit %d\n%s", nobody, code, out)
	}
	reduced := func(what string, s api.Status) {
		t.Helper()
		if s.State != api.StateConnected || !s.OtherUser || s.Gateway != st.Gateway || s.GatewayName != st.GatewayName {
			t.Errorf("%s: %+v, want connected, other_user and the gateway", what, s)
		}
		if s.User != "" || s.DisplayName != "" || s.Address != "" || len(s.Routes) != 0 || len(s.DNS) != 0 || s.PortalURL != "" ||
			s.PortalLocalURL != "" || s.ProxyAddr != "" || s.ProxyURL != "" || s.SOCKSURL != "" || s.Endpoint != "" || s.LastError != "" || s.LastErrorCode != "" {
			t.Errorf("%s shows another user's session: %+v", what, s)
		}
	}
	reduced("svpnctl status as uid 65534", other)
	code, line := rawAsNobody(t, shared, sock, "GET", api.LocalPathWatch, "")
	var watched api.Status
	if code != http.StatusOK || json.Unmarshal([]byte(line), &watched) != nil {
		t.Fatalf("watch as uid %d: %d %s", nobody, code, line)
	}
	reduced("watch as uid 65534", watched)

	// Neither diagnostics nor a bundle, nor a logout.
	for _, args := range [][]string{{"diag"}, {"diag", "--json"}, {"diag", "--bundle", filepath.Join(nobodyDir, "b.zip")}, {"logout"}} {
		code, out := asNobody(t, nobodyDir, nil, append([]string{ctl, "--socket", sock}, args...)...)
		if code == 0 || !strings.Contains(out, "forbidden") || strings.Contains(out, d.UserID) {
			t.Errorf("svpnctl %s as uid %d: exit %d, want forbidden\n%s", strings.Join(args, " "), nobody, code, out)
		}
	}
	if _, err := os.Stat(filepath.Join(nobodyDir, "b.zip")); err == nil {
		t.Error("a refused bundle left a file")
	}
	if st, err := c.Status(ctx); err != nil || st.State != api.StateConnected || st.User != d.UserID {
		t.Fatalf("root's session after uid %d's attempts: %+v %v", nobody, st, err)
	}

	// Root reads everything; a second bundle at once is rate-limited.
	pu, err := url.Parse(st.ProxyURL)
	if err != nil || pu.User == nil || pu.Host != st.ProxyAddr || !strings.HasPrefix(st.SOCKSURL, "socks5://") {
		t.Fatalf("root's proxy URLs: %q %q", st.ProxyURL, st.SOCKSURL)
	}
	proxyPassword, _ := pu.User.Password()
	lu, err := url.Parse(st.PortalLocalURL)
	if err != nil || lu.Query().Get("svpn_token") == "" {
		t.Fatalf("root's portal URL has no token: %q", st.PortalLocalURL)
	}
	token := lu.Query().Get("svpn_token")
	dg, err := c.Diagnostics(ctx)
	if err != nil || dg.Status.User != d.UserID {
		t.Fatalf("root's diagnostics: %v", err)
	}
	if dg.Status.ProxyURL != "" || dg.Status.SOCKSURL != "" || strings.Contains(dg.Status.PortalLocalURL, token) || dg.Status.ProxyAddr != st.ProxyAddr {
		t.Errorf("the diagnostics carry the session's proxy credentials or portal token: %+v", dg.Status)
	}
	var zip bytes.Buffer
	if err := c.Bundle(ctx, &zip); err != nil || zip.Len() == 0 {
		t.Fatalf("root's bundle: %v", err)
	}
	for _, secret := range []string{token, proxyPassword} {
		if bytes.Contains(zip.Bytes(), []byte(secret)) { // the zip is stored uncompressed only in part: check the entries too
			t.Errorf("the support bundle holds the secret %q", secret)
		}
	}
	zr, err := zippkg.NewReader(bytes.NewReader(zip.Bytes()), int64(zip.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		for _, secret := range []string{token, proxyPassword} {
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("the support bundle's %s holds the secret %q", f.Name, secret)
			}
		}
	}
	if err := c.Bundle(ctx, io.Discard); api.CodeOf(err) != api.CodeRateLimited {
		t.Fatalf("a second bundle at once: %v, want rate_limited", err)
	}

	// After root logs out, root stays the data owner: uid 65534 still
	// reads the reduced status and no diagnostics.
	if _, err := c.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	code, out = asNobody(t, nobodyDir, nil, ctl, "--socket", sock, "status", "--json")
	if code != 0 || json.Unmarshal([]byte(out), &other) != nil || !other.OtherUser || other.State != api.StateDisconnected || other.User != "" {
		t.Fatalf("status as uid %d after root's logout: exit %d\n%s", nobody, code, out)
	}
	if code, body := rawAsNobody(t, shared, sock, "GET", api.LocalPathDiag, ""); code != http.StatusForbidden {
		t.Fatalf("diagnostics as uid %d after root's logout: %d %s", nobody, code, body)
	}
}

// portalClient fetches through the portal forward as a browser does: the
// first visit's token becomes a cookie.
func portalClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Transport: &http.Transport{Proxy: nil}, Timeout: 10 * time.Second}
}
