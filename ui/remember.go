package ui

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/opensvpn/svpn/api"
)

// What the app remembers so that 진단 정보 still has the helpdesk line and
// the last known facts when svpnd is not running — exactly when the
// person calls the helpdesk. Public facts only, like prefLastCert.
const (
	prefHelpdesk  = "helpdesk"   // the profile's (or gateway's) helpdesk line
	prefLastFacts = "last_facts" // JSON lastFacts
)

// lastFacts is the last status the app saw from svpnd.
type lastFacts struct {
	State         api.State `json:"state"`
	User          string    `json:"user,omitempty"`
	Gateway       string    `json:"gateway,omitempty"`
	Address       string    `json:"address,omitempty"`
	LastErrorCode api.Code  `json:"last_error_code,omitempty"`
	At            time.Time `json:"at"`
}

// helpdeskOf is the helpdesk line of a profile answer: the profile's own,
// else the gateway's.
func helpdeskOf(p *api.ProfileInfo) string {
	if p == nil {
		return ""
	}
	if p.Profile.Helpdesk != "" {
		return p.Profile.Helpdesk
	}
	if p.Gateway != nil {
		return p.Gateway.Helpdesk
	}
	return ""
}

// RememberProfile keeps the profile's helpdesk line in the preferences so
// that the diagnostics can show it without svpnd. The diagnostics window
// calls it whenever it gets a profile; the login window's applyProfile
// may call it too.
func (x *Windows) RememberProfile(p *api.ProfileInfo) {
	x.rememberHelpdesk(helpdeskOf(p))
}

func (x *Windows) rememberHelpdesk(h string) {
	if h = strings.TrimSpace(h); h != "" && h != x.prefs().String(prefHelpdesk) {
		x.prefs().SetString(prefHelpdesk, h)
	}
}

// rememberedHelpdesk is the last helpdesk line seen, or "".
func (x *Windows) rememberedHelpdesk() string {
	return x.prefs().String(prefHelpdesk)
}

// RememberStatus keeps the last known facts of a status svpnd reported,
// for the diagnostics when svpnd is down. gateway names the profile.
func (x *Windows) RememberStatus(st api.Status, gateway string, now time.Time) {
	b, err := json.Marshal(lastFacts{State: st.State, User: st.User, Gateway: gateway, Address: st.Address,
		LastErrorCode: st.LastErrorCode, At: now})
	if err == nil {
		x.prefs().SetString(prefLastFacts, string(b))
	}
}

func (x *Windows) lastFacts() (lastFacts, bool) {
	var f lastFacts
	s := x.prefs().String(prefLastFacts)
	if s == "" || json.Unmarshal([]byte(s), &f) != nil || f.At.IsZero() {
		return f, false
	}
	return f, true
}
