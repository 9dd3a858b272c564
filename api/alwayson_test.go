package api

import (
	"strings"
	"testing"
)

// TestAlwaysOnMerge: the stricter of the profile and the gateway's group
// applies: the kill switch if either asks, the LAN only if every side that
// asks for the kill switch allows it.
func TestAlwaysOnMerge(t *testing.T) {
	for _, c := range []struct {
		profile      AlwaysOn
		group        Tunnel
		kill, allowL bool
	}{
		{AlwaysOn{}, Tunnel{}, false, false},
		{AlwaysOn{KillSwitch: true}, Tunnel{}, true, false},
		{AlwaysOn{}, Tunnel{KillSwitch: true}, true, false},
		{AlwaysOn{KillSwitch: true, AllowLAN: true}, Tunnel{}, true, true},
		{AlwaysOn{}, Tunnel{KillSwitch: true, AllowLAN: true}, true, true},
		{AlwaysOn{KillSwitch: true, AllowLAN: true}, Tunnel{KillSwitch: true}, true, false},
		{AlwaysOn{KillSwitch: true}, Tunnel{KillSwitch: true, AllowLAN: true}, true, false},
		{AlwaysOn{AllowLAN: true}, Tunnel{KillSwitch: true}, true, false},
		{AlwaysOn{AllowLAN: true}, Tunnel{AllowLAN: true}, false, false},
	} {
		got := c.profile.Merge(c.group)
		if got.KillSwitch != c.kill || got.AllowLAN != c.allowL {
			t.Errorf("profile %+v, group kill_switch=%v allow_lan=%v: got kill_switch=%v allow_lan=%v, want %v %v",
				c.profile, c.group.KillSwitch, c.group.AllowLAN, got.KillSwitch, got.AllowLAN, c.kill, c.allowL)
		}
	}
}

func TestAlwaysOnValidate(t *testing.T) {
	base := Profile{Name: "x", GatewayURL: "https://gw.example:443", GatewayID: "gw"}
	for _, c := range []struct {
		ao   AlwaysOn
		want string // "" valid
	}{
		{AlwaysOn{KillSwitch: true, CaptiveProbeURL: "http://probe.example/generate_204", CaptiveExemptionMinutes: 10}, ""},
		{AlwaysOn{CaptiveProbeURL: "https://probe.example/"}, "captive_probe_url"},
		{AlwaysOn{CaptiveProbeURL: "http://user:pw@probe.example/"}, "captive_probe_url"},
		{AlwaysOn{CaptiveProbeURL: "http:///nohost"}, "captive_probe_url"},
		{AlwaysOn{CaptiveExemptionMinutes: 31}, "captive_exemption_minutes"},
		{AlwaysOn{CaptiveExemptionMinutes: -1}, "captive_exemption_minutes"},
	} {
		p := base
		p.AlwaysOn = c.ao
		err := p.Validate()
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%+v: %v, want %q", c.ao, err, c.want)
		}
	}
}
