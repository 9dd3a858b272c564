package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
)

// TestNetnsUDPBlocked runs svpnd as root with a kernel TUN in a network
// namespace whose nftables drop UDP to the gateway's WireGuard port: the
// login (transport auto) connects over TCP within 10 s, the portal works
// and the status says tcp. Once the rule is gone the session is back on
// UDP within a minute, without a new login. Both tunnel modes: the kernel
// TUN, and userspace (netstack and the loopback proxy). With the TUN also:
// a gateway restart while on TCP (the session carries on), and an
// administrator's kick while on TCP (svpnd says kicked).
func TestNetnsUDPBlocked(t *testing.T) {
	t.Run("tun", func(t *testing.T) { testUDPBlocked(t, false) })
	t.Run("userspace", func(t *testing.T) { testUDPBlocked(t, true) })
}

func testUDPBlocked(t *testing.T, userspace bool) {
	n := newNetns(t)
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("nft not installed; run make deps")
	}
	dir := t.TempDir()
	gw := start(t, nil, "svpn-gateway", "demo", "--dir", dir, "--listen", n.hostIP+":0",
		"--wg-port", "0", "--heartbeat", "2s", "--dns", "10.77.0.1")
	d := readDemo(t, dir)

	// The drop rule lives in the client's namespace only, in a table of
	// its own: the host's firewall is never touched.
	b := make([]byte, 3)
	rand.Read(b)
	table := "svpn_tcp_" + hex.EncodeToString(b)
	nft := func(args ...string) { sh(t, append(append(n.prefix(), "nft"), args...)...) }
	t.Cleanup(func() { exec.Command("ip", "netns", "exec", n.name, "nft", "delete", "table", "inet", table).Run() })
	block := func() {
		nft("add", "table", "inet", table)
		nft("add", "chain", "inet", table, "out", "{ type filter hook output priority 0 ; }")
		nft("add", "rule", "inet", table, "out", "ip", "daddr", n.hostIP, "udp", "dport", fmt.Sprint(d.WireGuardPort), "counter", "drop")
	}
	block()

	sock := filepath.Join(dir, "svpnd.sock")
	args := []string{"run", "--socket", sock, "--profile", d.Profile, "--state-dir", filepath.Join(dir, "state"), "--tun", "svpn0"}
	if userspace {
		args = []string{"run", "--userspace", "--socket", sock, "--profile", d.Profile, "--proxy", "127.0.0.1:0"}
	}
	start(t, n.prefix(), "svpnd", args...)
	eventually(t, 20*time.Second, "svpnd socket", func() bool {
		code, _ := runCmd(t, nil, "", "svpnctl", "--socket", sock, "status")
		return code == 0
	})
	t0 := time.Now()
	code, out := runCmd(t, n.prefix(), d.InitialPassword+"\n"+d.CertPassword+"\nNetns-tcp9!\n", "svpnctl", "--socket", sock,
		"login", "--user", d.UserID, "--cert", d.CertPath, "--password-stdin")
	took := time.Since(t0)
	if code != 0 {
		t.Fatalf("login with UDP dropped: exit %d\n%s", code, out)
	}
	t.Logf("login with UDP dropped took %v (the certificate password prompt and argon2id included)", took)
	if took > 10*time.Second {
		t.Fatalf("login with UDP dropped took %v, want under 10 s", took)
	}
	st := status(t, nil, sock)
	if st.State != api.StateConnected || st.Transport != api.TransportTCP || st.TransportReason != api.ReasonUDPBlocked {
		t.Fatalf("status with UDP dropped: %s, transport %q (%q)", st.State, st.Transport, st.TransportReason)
	}
	if !strings.Contains(sh(t, append(n.prefix(), "nft", "list", "table", "inet", table)...), "packets") {
		t.Fatal("the drop rule counted nothing")
	}
	portal := func() string {
		curl := []string{"ip", "netns", "exec", n.name, "curl", "-s", "--max-time", "10"}
		if userspace {
			curl = append(curl, "-x", status(t, nil, sock).ProxyURL)
		}
		return sh(t, append(curl, d.PortalURL)...)
	}
	if page := portal(); !strings.Contains(page, "행정포탈") {
		t.Fatalf("portal over TCP: %q", page)
	}
	_, human := runCmd(t, nil, "", "svpnctl", "--socket", sock, "status")
	if !strings.Contains(human, "tcp (udp_blocked)") {
		t.Fatalf("svpnctl status does not say tcp:\n%s", human)
	}

	if !userspace {
		// The gateway restarts (same ports, same store) while the session
		// is on TCP: the stream is redialled and the tunnel carries the
		// portal again, without a new login.
		apiURL, _ := url.Parse(d.APIURL)
		gw.Stop()
		start(t, nil, "svpn-gateway", "demo", "--dir", dir, "--listen", apiURL.Host, "--wg-port", fmt.Sprint(d.WireGuardPort),
			"--heartbeat", "2s", "--dns", "10.77.0.1") // stopped by the test's cleanup
		eventually(t, 30*time.Second, "the portal through the restarted gateway", func() bool {
			out, _ := exec.Command("ip", "netns", "exec", n.name, "curl", "-s", "--max-time", "3", d.PortalURL).Output()
			return strings.Contains(string(out), "행정포탈")
		})
		if cur := status(t, nil, sock); cur.State != api.StateConnected || cur.Transport != api.TransportTCP || !cur.ConnectedAt.Equal(st.ConnectedAt) {
			t.Fatalf("after the gateway restart: %s on %q since %v (was %v)", cur.State, cur.Transport, cur.ConnectedAt, st.ConnectedAt)
		}
	}

	nft("delete", "table", "inet", table)
	t1 := time.Now()
	eventually(t, 60*time.Second, "back on UDP", func() bool { return status(t, nil, sock).Transport == api.TransportUDP })
	t.Logf("back on UDP %v after the rule went", time.Since(t1))
	after := status(t, nil, sock)
	if after.State != api.StateConnected || !after.ConnectedAt.Equal(st.ConnectedAt) || after.TransportReason != api.ReasonUDPRestored {
		t.Fatalf("after UDP returned: %s since %v (was %v), reason %q", after.State, after.ConnectedAt, st.ConnectedAt, after.TransportReason)
	}
	if page := portal(); !strings.Contains(page, "행정포탈") {
		t.Fatalf("portal back on UDP: %q", page)
	}
	if userspace {
		return
	}

	// UDP blocked again, a new login (over TCP), and an administrator's
	// kick: svpnd says the session was kicked.
	block()
	if code, out := runCmd(t, nil, "", "svpnctl", "--socket", sock, "logout"); code != 0 {
		t.Fatalf("logout: exit %d\n%s", code, out)
	}
	code, out = runCmd(t, n.prefix(), "Netns-tcp9!\n"+d.CertPassword+"\n", "svpnctl", "--socket", sock,
		"login", "--user", d.UserID, "--cert", d.CertPath, "--password-stdin")
	if code != 0 {
		t.Fatalf("second login with UDP dropped: exit %d\n%s", code, out)
	}
	if st := status(t, nil, sock); st.Transport != api.TransportTCP {
		t.Fatalf("second login: transport %q", st.Transport)
	}
	if code, out := runCmd(t, nil, "", "svpn-gateway", "session", "kick", "--config", filepath.Join(dir, "config.json"), "--user", d.UserID); code != 0 {
		t.Fatalf("kick: exit %d\n%s", code, out)
	}
	eventually(t, 10*time.Second, "the kick to reach svpnd", func() bool {
		st := status(t, nil, sock)
		return st.State == api.StateDisconnected && st.EndReason == api.EndKicked && st.Transport == ""
	})
}
