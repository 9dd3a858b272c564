package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
)

// hotel makes the gateway's namespace behave like a hotel network before
// its sign-in page is accepted: every HTTP request is answered by its
// portal (a redirect), and nothing else gets anywhere: not the SVPN
// gateway, not the internet.
type hotel struct {
	w     *world
	table string
	port  int
}

func newHotel(t *testing.T, w *world) *hotel {
	ln := listenIn(t, w.gwNS, "tcp", net.JoinHostPort(w.gwIP.String(), "0"))
	srv := &http.Server{Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Location", "http://hotel.example/login")
		rw.WriteHeader(http.StatusFound)
		io.WriteString(rw, "<html>Welcome to the hotel. Please sign in.</html>")
	}), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	h := &hotel{w: w, table: "hotel" + w.client[len(w.client)-6:], port: ln.Addr().(*net.TCPAddr).Port}
	t.Cleanup(func() { exec.Command("ip", "netns", "exec", w.gw, "nft", "delete", "table", "ip", h.table).Run() })
	return h
}

func (h *hotel) on(t *testing.T) {
	t.Helper()
	lan := "ag" + h.w.lanLinkClient[2:]
	rules := fmt.Sprintf(`table ip %[1]s {
	chain prerouting_hotel { type nat hook prerouting priority dstnat; policy accept;
		iifname "%[2]s" tcp dport 80 dnat to %[3]s:%[4]d
	}
	chain input_hotel { type filter hook input priority filter; policy accept;
		iifname "%[2]s" tcp dport %[4]d accept
		iifname "%[2]s" meta l4proto { tcp, udp } drop
	}
	chain forward_hotel { type filter hook forward priority filter; policy accept;
		iifname "%[2]s" drop
	}
}
`, h.table, lan, h.w.gwIP, h.port)
	cmd := exec.Command("ip", "netns", "exec", h.w.gw, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(rules)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("hotel on: %v\n%s", err, out)
	}
}

func (h *hotel) off(t *testing.T) {
	t.Helper()
	sh(t, "ip", "netns", "exec", h.w.gw, "nft", "delete", "table", "ip", h.table)
}

// hotelPage reports whether an HTTP request from the client to the
// internet host gets the hotel's sign-in redirect.
func (w *world) hotelPage() error {
	c, err := dialFromClient(w, "tcp", net.JoinHostPort(w.inetIP.String(), "80"))
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(probeTimeout))
	fmt.Fprintf(c, "GET / HTTP/1.0\r\nHost: x\r\n\r\n")
	b, err := io.ReadAll(c)
	if err != nil {
		return err
	}
	if !strings.Contains(string(b), "302 Found") || !strings.Contains(string(b), "hotel.example") {
		return fmt.Errorf("not the hotel's page: %q", b)
	}
	return nil
}

// TestCaptivePortal: behind a hotel network that intercepts HTTP, a login
// fails with E-420 (sign in to the network) rather than "gateway
// unreachable"; a connected session that lands there says the same while
// reconnecting, even with the kill switch on (svpnd's own probe passes it);
// the user opens the profile's time-limited exemption, reaches the hotel's
// page (and nothing else), and once signed in the session is back and the
// exemption is in the gateway's audit log.
func TestCaptivePortal(t *testing.T) {
	w := newWorld(t, 0)
	probeURL := fmt.Sprintf("http://%s/generate_204", w.inetIP)
	d, profile := w.alwaysOnGateway(t, api.AlwaysOn{KillSwitch: true, CaptiveProbeURL: probeURL, CaptiveExemptionMinutes: 1}, "--heartbeat", "1s")
	h := newHotel(t, w)
	cd := newClientDaemon(t, profile)
	w.startSvpnd(t, cd)

	h.on(t)
	code, out := runCmd(t, nil, d.InitialPassword+"\n"+d.CertPassword+"\n", "svpnctl", "--socket", cd.sock, "login", "--user", d.UserID, "--cert", d.CertPath, "--password-stdin")
	if code == 0 || !strings.Contains(out, "E-420") {
		t.Fatalf("login behind the hotel's portal: exit %d, want E-420\n%s", code, out)
	}
	if st := status(t, nil, cd.sock); st.LastErrorCode != api.CodeCaptivePortal {
		t.Fatalf("status after the login: %+v", st)
	}
	h.off(t)

	svpnctlLogin(t, d, cd.sock, d.InitialPassword, "Captive-pass9!")
	h.on(t)
	eventually(t, 30*time.Second, "reconnecting, because of the portal", func() bool {
		st := status(t, nil, cd.sock)
		return st.State == api.StateReconnecting && st.LastErrorCode == api.CodeCaptivePortal
	})
	w.expect(t, "behind the portal, kill switch on", false, map[string]probe{"hotel page": (*world).hotelPage})

	code, out = runCmd(t, nil, "", "svpnctl", "--socket", cd.sock, "captive-exempt")
	if code != 0 {
		t.Fatalf("captive-exempt: exit %d\n%s", code, out)
	}
	st := status(t, nil, cd.sock)
	if !st.KillSwitch || st.CaptiveExemptUntil.Before(time.Now().Add(50*time.Second)) || st.CaptiveExemptUntil.After(time.Now().Add(61*time.Second)) {
		t.Fatalf("status after the exemption: %+v", st)
	}
	w.expect(t, "exemption open", true, map[string]probe{"hotel page": (*world).hotelPage})
	w.expect(t, "exemption open", false, map[string]probe{"UDP": (*world).udp, "ICMP": (*world).icmp})
	code, out = runCmd(t, nil, "", "svpnctl", "--socket", cd.sock, "diag", "--json")
	if code != 0 || !strings.Contains(out, "captive portal exemption opened by uid 0") {
		t.Fatalf("the exemption is not in the diagnostics: exit %d\n%s", code, out)
	}

	h.off(t) // signed in
	eventually(t, 30*time.Second, "connected again", func() bool { return status(t, nil, cd.sock).State == api.StateConnected })
	if err := w.portal(d); err != nil {
		t.Fatal(err)
	}
	// The exemption, opened while the gateway was out of reach, is in the
	// gateway's audit log once the session is back.
	eventually(t, 15*time.Second, "the exemption in the gateway's audit log", func() bool {
		code, out := runCmd(t, nil, "", "svpn-gateway", "audit", "--config", d.Config, "--user", d.UserID)
		return code == 0 && strings.Contains(out, "captive_exemption") && strings.Contains(out, `"minutes":1`)
	})
}
