package firewall

import (
	"net/netip"
	"testing"
	"time"
)

// TestWFPAllowsTCPTransport: the tunnel's TCP fallback runs over HTTPS to
// the gateway API's address and port (which need not be 443). With the
// kill switch on, while connected over the stream, while reconnecting, and
// after the session ended or svpnd died (no tunnel interface), the WFP
// filters and the plan let exactly that through: TCP to the API, not UDP
// to it, not another port of the gateway, not the same port elsewhere.
func TestWFPAllowsTCPTransport(t *testing.T) {
	now := time.Now()
	for _, api := range []string{"192.0.2.1:8443", "[2001:db8::10]:443"} {
		ap := netip.MustParseAddrPort(api)
		connected := Policy{KillSwitch: true, Interface: "SVPN", MTU: 1420,
			Endpoints: []Endpoint{{UDP, netip.MustParseAddrPort("192.0.2.1:51820")}, {TCP, ap}},
			DNS:       []netip.Addr{netip.MustParseAddr("10.77.0.1")}}
		// Reconnecting keeps the connected rules; a session that ended
		// (or an svpnd that died) keeps the kill switch without the tunnel.
		kept := connected
		kept.Interface, kept.MTU = "", 0
		other := "203.0.113.7"
		if ap.Addr().Is6() {
			other = "2001:db8::99"
		}
		for name, p := range map[string]Policy{"connected or reconnecting": connected, "kept without a tunnel": kept} {
			rules := Plan(p)
			fs := wfpFilters(p, rules, now)
			for _, c := range []struct {
				pk   packet
				want Action
			}{
				{packet{oif: "eth0", proto: TCP, dst: ap.Addr().String(), dport: ap.Port()}, Accept},
				{packet{oif: "wlan0", proto: TCP, dst: ap.Addr().String(), dport: ap.Port()}, Accept},
				{packet{oif: "eth0", proto: UDP, dst: ap.Addr().String(), dport: ap.Port()}, Reject},
				{packet{oif: "eth0", proto: TCP, dst: ap.Addr().String(), dport: 22}, Reject},
				{packet{oif: "eth0", proto: TCP, dst: other, dport: ap.Port()}, Reject},
			} {
				if got := wfpDecide(fs, c.pk); got != c.want {
					t.Errorf("API %s, %s, %+v: WFP %v, want %v", api, name, c.pk, got, c.want)
				}
				if got := decide(rules, c.pk); got != c.want {
					t.Errorf("API %s, %s, %+v: plan %v, want %v", api, name, c.pk, got, c.want)
				}
			}
		}
	}
}
