package e2e

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/opensvpn/svpn/api"
)

// TestKillSwitchOverTCP: the client's network drops UDP to the gateway
// (a hotel that allows only web traffic). With the kill switch on, the
// profile's transport "auto" moves the tunnel to TCP over the API's HTTPS
// port, which the kill switch lets through: the portal works, the
// internet host does not.
func TestKillSwitchOverTCP(t *testing.T) {
	w := newWorld(t, 0)
	d, profile := w.alwaysOnGateway(t, api.AlwaysOn{KillSwitch: true})
	b, err := os.ReadFile(profile)
	if err != nil {
		t.Fatal(err)
	}
	var p api.Profile
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	p.Transport = api.TransportAuto
	b, _ = json.Marshal(p)
	if err := os.WriteFile(profile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	// A table of the test's own in the client's namespace (nobody else's):
	// no UDP reaches the gateway.
	nft := append(nsExec(w.client), "nft")
	sh(t, append(nft, "add", "table", "inet", "udpblock")...)
	sh(t, append(nft, "add", "chain", "inet", "udpblock", "out", "{ type filter hook output priority 10 ; }")...)
	sh(t, append(nft, "add", "rule", "inet", "udpblock", "out", "ip", "daddr", w.gwIP.String(), "meta", "l4proto", "udp", "drop")...)

	cd := newClientDaemon(t, profile)
	w.startSvpnd(t, cd)
	svpnctlLogin(t, d, cd.sock, d.InitialPassword, "Alwayson-pass9!")
	st := status(t, nil, cd.sock)
	if st.State != api.StateConnected || !st.KillSwitch || st.Transport != api.TransportTCP {
		t.Fatalf("connected over TCP with the kill switch: %+v", st)
	}
	if err := w.portal(d); err != nil {
		t.Fatalf("portal through the TCP transport with the kill switch on: %v", err)
	}
	w.expect(t, "connected over TCP", false, map[string]probe{"TCP": (*world).tcp4, "UDP": (*world).udp, "IPv6": (*world).tcp6})
	if rs := sh(t, append(nft, "list", "ruleset")...); !strings.Contains(rs, "udpblock") || !strings.Contains(rs, "kill switch") {
		t.Fatalf("ruleset:\n%s", rs)
	}
	if code, out := runCmd(t, nil, "", "svpnctl", "--socket", cd.sock, "logout"); code != 0 {
		t.Fatalf("logout: exit %d\n%s", code, out)
	}
}
