package api

import (
	"strings"
	"testing"
	"time"
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

// TestAlwaysOnMergeExemption: the group can forbid the captive-portal
// exemption the profile allows, never allow one the profile does not.
func TestAlwaysOnMergeExemption(t *testing.T) {
	p := AlwaysOn{KillSwitch: true, CaptiveExemptionMinutes: 10}
	if got := p.Merge(Tunnel{}); got.CaptiveExemptionMinutes != 10 {
		t.Errorf("no group word: %d minutes, want the profile's 10", got.CaptiveExemptionMinutes)
	}
	if got := p.Merge(Tunnel{KillSwitch: true, NoCaptiveExemption: true}); got.CaptiveExemptionMinutes != 0 {
		t.Errorf("group forbids: %d minutes, want 0", got.CaptiveExemptionMinutes)
	}
	if got := (AlwaysOn{KillSwitch: true}).Merge(Tunnel{KillSwitch: true}); got.CaptiveExemptionMinutes != 0 {
		t.Errorf("profile allows none: %d minutes", got.CaptiveExemptionMinutes)
	}
}

func TestSessionEventValidate(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	ok := SessionEvent{ID: "a1", Kind: SessionEventCaptiveExemption, At: now.Add(-time.Hour), Minutes: 10, By: "1000"}
	if err := ok.Validate(now); err != nil {
		t.Fatalf("valid event refused: %v", err)
	}
	for name, mut := range map[string]func(*SessionEvent){
		"no id":        func(e *SessionEvent) { e.ID = "" },
		"long id":      func(e *SessionEvent) { e.ID = strings.Repeat("x", 65) },
		"control id":   func(e *SessionEvent) { e.ID = "a\nb" },
		"control by":   func(e *SessionEvent) { e.By = "1000\x1b[2J" },
		"kind":         func(e *SessionEvent) { e.Kind = "login" },
		"zero minutes": func(e *SessionEvent) { e.Minutes = 0 },
		"too long":     func(e *SessionEvent) { e.Minutes = MaxCaptiveExemptionMinutes + 1 },
		"future":       func(e *SessionEvent) { e.At = now.Add(time.Hour) },
		"ancient":      func(e *SessionEvent) { e.At = now.Add(-MaxSessionEventAge - time.Hour) },
		"no time":      func(e *SessionEvent) { e.At = time.Time{} },
	} {
		ev := ok
		mut(&ev)
		if err := ev.Validate(now); CodeOf(err) != CodeBadRequest {
			t.Errorf("%s: %v, want bad_request", name, err)
		}
	}
}
