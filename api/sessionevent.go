package api

import (
	"fmt"
	"time"
)

// PathSessionEvent (POST, Authorization: Bearer) reports something that
// happened on the client which the gateway's audit log must hold: a
// captive-portal exemption of the kill switch. svpnd keeps each report
// until the gateway has taken it, since the exemption is opened precisely
// when the gateway cannot be reached.
const PathSessionEvent = "/api/v1/session/event"

// SessionEventCaptiveExemption: the user opened the kill switch for a
// captive portal's sign-in page for Minutes minutes at At.
const SessionEventCaptiveExemption = "captive_exemption"

// SessionEvent is the body of PathSessionEvent.
type SessionEvent struct {
	// ID is the client's random name for the event, so a report sent
	// twice (the answer was lost) is recognisable in the audit log.
	ID      string    `json:"id"`
	Kind    string    `json:"kind"`
	At      time.Time `json:"at"`
	Minutes int       `json:"minutes,omitempty"`
	// By is the local user (UID or SID) who opened it.
	By string `json:"by,omitempty"`
}

// MaxSessionEvents bounds the events one session may report: svpnd keeps
// no more than this many for the gateway, and a client that sends more is
// flooding the audit log.
const MaxSessionEvents = 100

// MaxSessionEventAge is how old a report may be: svpnd keeps unreported
// events across restarts, but not for ever.
const MaxSessionEventAge = 30 * 24 * time.Hour

// Validate checks a report against the gateway's clock now.
func (ev SessionEvent) Validate(now time.Time) error {
	if ev.ID == "" || len(ev.ID) > 64 || !printableASCII(ev.ID) {
		return Errorf(CodeBadRequest, "session event: id: 1 to 64 printable ASCII characters")
	}
	if len(ev.By) > 128 || !printableASCII(ev.By) {
		return Errorf(CodeBadRequest, "session event: by: at most 128 printable ASCII characters")
	}
	switch ev.Kind {
	case SessionEventCaptiveExemption:
		if ev.Minutes < 1 || ev.Minutes > MaxCaptiveExemptionMinutes {
			return Errorf(CodeBadRequest, "session event: minutes: 1 to %d, got %d", MaxCaptiveExemptionMinutes, ev.Minutes)
		}
	default:
		return Errorf(CodeBadRequest, "session event: unknown kind %q", ev.Kind)
	}
	// A few minutes of clock skew; nothing from the future or too old.
	if ev.At.IsZero() || ev.At.After(now.Add(5*time.Minute)) || ev.At.Before(now.Add(-MaxSessionEventAge)) {
		return Errorf(CodeBadRequest, "session event: at: %s is not within the last %s", ev.At.Format(time.RFC3339), MaxSessionEventAge)
	}
	return nil
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// String is a one-line description for logs.
func (ev SessionEvent) String() string {
	return fmt.Sprintf("%s %s %d min by %s (%s)", ev.Kind, ev.At.Format(time.RFC3339), ev.Minutes, ev.By, ev.ID)
}
