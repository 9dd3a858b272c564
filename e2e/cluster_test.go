package e2e

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/internal/pgserver"
)

// A demo cluster of 3 gateway processes on PostgreSQL. Draining the node
// the client is on moves it to another without a failed login, and a login
// during the drain goes elsewhere; then kill -9 of the node the client is
// on, and svpnd is connected through another within 30 s, with the same
// address and session, without a new login; the portal answers through the
// tunnel again. Then PostgreSQL is shut down and started again under the
// cluster: the nodes (the same processes) go on serving, the session is not
// lost, and a kick given through another node's config reaches the client.
func TestClusterFailover(t *testing.T) {
	if pgserver.BinDir() == "" {
		t.Skip(pgserver.ErrNoBinaries.Error())
	}
	dir := t.TempDir()
	// As root the demo's PostgreSQL runs as the postgres user, which must
	// reach the demo directory.
	if err := os.Chmod(filepath.Dir(dir), 0o711); err != nil {
		t.Fatal(err)
	}
	start(t, nil, "svpn-gateway", "demo", "--dir", dir, "--listen", "127.0.0.1:0", "--wg-port", "0", "--heartbeat", "1s", "--nodes", "3")
	d := readDemo(t, dir)
	if len(d.Nodes) != 3 || d.Nodes[0].APIURL != d.APIURL || d.Nodes[0].PID == 0 || d.Nodes[1].WGPort == 0 {
		t.Fatalf("demo.json nodes: %+v", d.Nodes)
	}
	sock := filepath.Join(dir, "svpnd.sock")
	start(t, nil, "svpnd", "run", "--userspace", "--socket", sock, "--profile", d.Profile, "--proxy", "127.0.0.1:0")
	eventually(t, 20*time.Second, "svpnd socket", func() bool {
		code, _ := runCmd(t, nil, "", "svpnctl", "--socket", sock, "status")
		return code == 0
	})
	const newPW = "Remote-work9!"
	code, out := runCmd(t, nil, d.InitialPassword+"\n"+d.CertPassword+"\n"+newPW+"\n", "svpnctl", "--socket", sock, "login", "--user", d.UserID, "--cert", d.CertPath, "--password-stdin")
	if code != 0 {
		t.Fatalf("login: exit %d\n%s", code, out)
	}
	before := status(t, nil, sock)
	if before.State != api.StateConnected || before.Gateway != d.Nodes[0].APIURL || before.Address == "" {
		t.Fatalf("status after login: %+v", before)
	}
	pu, _ := url.Parse(before.ProxyURL)
	viaProxy := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(pu)}, Timeout: 5 * time.Second}
	if page, err := get(t, viaProxy, d.PortalURL); err != nil || !strings.Contains(page, "행정포탈") {
		t.Fatalf("portal before: %v %q", err, page)
	}

	// Drain node 1: the client moves to node 2 at its next heartbeat, and
	// the command returns once node 1 holds no session.
	code, out = runCmd(t, nil, "", "svpn-gateway", "node", "drain", "--config", d.Nodes[0].Config, "--wait", "30s")
	if code != 0 || !strings.Contains(out, "node1 is drained") {
		t.Fatalf("node drain: exit %d\n%s", code, out)
	}
	// The node lets the session go when svpnd resumes it elsewhere, a
	// moment before svpnd's own status says so.
	var moved api.Status
	eventually(t, 10*time.Second, "svpnd connected through node 2", func() bool {
		moved = status(t, nil, sock)
		return moved.State == api.StateConnected && moved.Gateway == d.Nodes[1].APIURL
	})
	if moved.Address != before.Address {
		t.Fatalf("after drain: %+v", moved)
	}
	// A login while node 1 drains goes to node 2 (the profile lists node 1
	// first): logging out and in again fails nothing.
	if code, out := runCmd(t, nil, "", "svpnctl", "--socket", sock, "logout"); code != 0 {
		t.Fatalf("logout: %d %s", code, out)
	}
	code, out = runCmd(t, nil, newPW+"\n"+d.CertPassword+"\n", "svpnctl", "--socket", sock, "login", "--user", d.UserID, "--cert", d.CertPath, "--password-stdin")
	if code != 0 {
		t.Fatalf("login while node 1 drains: exit %d\n%s", code, out)
	}
	before = status(t, nil, sock)
	if before.State != api.StateConnected || before.Gateway != d.Nodes[1].APIURL {
		t.Fatalf("login while node 1 drains: %+v", before)
	}
	if code, out := runCmd(t, nil, "", "svpn-gateway", "node", "undrain", "--config", d.Nodes[0].Config); code != 0 {
		t.Fatalf("undrain: %d %s", code, out)
	}
	pu, _ = url.Parse(before.ProxyURL) // a new session, new proxy credentials
	viaProxy = &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(pu)}, Timeout: 5 * time.Second}

	// kill -9 of node 2, which the client is on now: to another node.
	killed := time.Now()
	if err := syscall.Kill(d.Nodes[1].PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var after api.Status
	eventually(t, 30*time.Second, "connected through another node", func() bool {
		after = status(t, nil, sock)
		return after.State == api.StateConnected && after.Gateway != d.Nodes[1].APIURL
	})
	t.Logf("connected through %s %v after kill -9 of node 2", after.Gateway, time.Since(killed).Round(100*time.Millisecond))
	if after.Address != before.Address || after.User != before.User {
		t.Errorf("after failover: address %s user %s; before %s %s", after.Address, after.User, before.Address, before.User)
	}
	eventually(t, 15*time.Second, "the portal through the new node", func() bool {
		page, err := get(t, viaProxy, d.PortalURL)
		return err == nil && strings.Contains(page, "행정포탈")
	})
	code, out = runCmd(t, nil, "", "svpn-gateway", "node", "list", "--config", d.Nodes[0].Config)
	if code != 0 || !strings.Contains(out, "node2") {
		t.Errorf("node list: exit %d\n%s", code, out)
	}

	// PostgreSQL shut down (fast, as an operator's restart does) and
	// started again by the demo, as a service manager would.
	pgPID := postmasterPID(t, filepath.Join(dir, "pg", "data"))
	if err := syscall.Kill(pgPID, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	eventually(t, 45*time.Second, "PostgreSQL started again", func() bool {
		code, _ := runCmd(t, nil, "", "svpn-gateway", "node", "list", "--config", d.Nodes[0].Config)
		return code == 0 && postmasterPID(t, filepath.Join(dir, "pg", "data")) != pgPID
	})
	for _, i := range []int{0, 2} {
		if err := syscall.Kill(d.Nodes[i].PID, 0); err != nil {
			t.Errorf("node %d (pid %d) did not live through the restart: %v", i+1, d.Nodes[i].PID, err)
		}
	}
	// Heartbeats go on: the session survived, with its address (on the
	// same node unless the outage outlasted svpnd's failover wait).
	time.Sleep(2500 * time.Millisecond) // heartbeats after the restart
	var kept api.Status
	eventually(t, 30*time.Second, "connected after the PostgreSQL restart", func() bool {
		kept = status(t, nil, sock)
		return kept.State == api.StateConnected && kept.Gateway != d.Nodes[1].APIURL
	})
	if kept.Address != after.Address || kept.User != after.User {
		t.Fatalf("after the PostgreSQL restart: %+v", kept)
	}
	if kept.Gateway != after.Gateway {
		t.Logf("moved to %s during the restart", kept.Gateway)
	}
	if page, err := get(t, viaProxy, d.PortalURL); err != nil || !strings.Contains(page, "행정포탈") {
		t.Fatalf("portal after the PostgreSQL restart: %v %q", err, page)
	}
	// A kick through a node the client is not on reaches it.
	other := d.Nodes[0].Config
	if kept.Gateway == d.Nodes[0].APIURL {
		other = d.Nodes[2].Config
	}
	if code, out := runCmd(t, nil, "", "svpn-gateway", "session", "kick", "--config", other, "--user", d.UserID); code != 0 {
		t.Fatalf("kick: %d %s", code, out)
	}
	eventually(t, 10*time.Second, "svpnd told of the kick", func() bool {
		st := status(t, nil, sock)
		return st.State == api.StateDisconnected && st.EndReason == "kicked"
	})
}

// postmasterPID reads the server's process ID from the first line of
// postmaster.pid; 0 while there is none.
func postmasterPID(t *testing.T, dataDir string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, _ := strconv.Atoi(strings.TrimSpace(line))
	return pid
}
