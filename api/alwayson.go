package api

import (
	"fmt"
	"net/url"
)

// MaxCaptiveExemptionMinutes bounds how long a captive-portal exemption can
// keep the kill switch relaxed.
const MaxCaptiveExemptionMinutes = 30

func (a AlwaysOn) validate() []error {
	var errs []error
	if a.CaptiveProbeURL != "" {
		if u, err := url.Parse(a.CaptiveProbeURL); err != nil || u.Scheme != "http" || u.Host == "" || u.User != nil {
			errs = append(errs, fmt.Errorf("captive_probe_url: a plain http:// URL (a portal intercepts HTTP, not HTTPS), got %q", a.CaptiveProbeURL))
		}
	}
	if a.CaptiveExemptionMinutes < 0 || a.CaptiveExemptionMinutes > MaxCaptiveExemptionMinutes {
		errs = append(errs, fmt.Errorf("captive_exemption_minutes: 0 to %d, got %d", MaxCaptiveExemptionMinutes, a.CaptiveExemptionMinutes))
	}
	return errs
}

// Merge is the always-on policy of a session: the profile's, made stricter
// by the gateway's group policy t. The kill switch is on if either asks for
// it; the LAN is allowed only if every side that asks for the kill switch
// allows it; a captive-portal exemption only if the group does not forbid
// it.
func (a AlwaysOn) Merge(t Tunnel) AlwaysOn {
	out := a
	out.KillSwitch = a.KillSwitch || t.KillSwitch
	out.AllowLAN = (!a.KillSwitch || a.AllowLAN) && (!t.KillSwitch || t.AllowLAN)
	if !out.KillSwitch {
		out.AllowLAN = false
	}
	if t.NoCaptiveExemption {
		out.CaptiveExemptionMinutes = 0
	}
	return out
}
