package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/gateway/store"
)

// handleSessionEvent takes a client's report of something the audit log
// must hold (a captive-portal exemption of the kill switch) from a live
// session: the session token names the user and the device; the body only
// says what happened and when.
func (s *Server) handleSessionEvent(w http.ResponseWriter, r *http.Request) {
	tok, ok := bearer(r)
	if !ok {
		s.writeError(w, r, refuse(api.CodeUnauthorized, "missing session token"))
		return
	}
	var ev api.SessionEvent
	if err := decode(w, r, &ev); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.sessionEvent(r.Context(), tok, ev, clientSource(r)); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

// captiveExemptionDetail is the audit row's detail for a
// captive_exemption: what the client reported, the session it came
// through, and the device that session logged in with.
type captiveExemptionDetail struct {
	ID       string          `json:"id"`
	At       time.Time       `json:"at"`
	Minutes  int             `json:"minutes"`
	LocalUID string          `json:"local_user,omitempty"`
	Session  string          `json:"session"`
	Device   json.RawMessage `json:"device,omitempty"`
	// Forbidden: the user's group forbids exemptions (a client that
	// opened one anyway, or an old profile): the row carries the code.
	Forbidden bool `json:"forbidden,omitempty"`
}

func (s *Server) sessionEvent(ctx context.Context, token string, ev api.SessionEvent, source string) error {
	sess, err := s.st.SessionByToken(ctx, store.HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return refuse(api.CodeUnauthorized, "unknown session token")
	} else if err != nil {
		return internalError(err)
	}
	if !sess.Active() {
		return sessionEnded(sess.EndReason)
	}
	if err := ev.Validate(s.now()); err != nil {
		return asRefusal(err)
	}
	// A report sent again (its answer was lost) is taken without a second
	// row; a session that reports more than any client keeps is refused.
	prev, err := s.st.ListAudit(ctx, store.AuditFilter{UserID: sess.UserID, Event: ev.Kind, Since: sess.CreatedAt, Limit: api.MaxSessionEvents + 1})
	if err != nil {
		return internalError(err)
	}
	n := 0
	for _, row := range prev {
		var p captiveExemptionDetail
		if json.Unmarshal(row.Detail, &p) != nil || p.Session != sess.ID {
			continue
		}
		if p.ID == ev.ID {
			return nil
		}
		n++
	}
	if n >= api.MaxSessionEvents {
		return refuse(api.CodeBadRequest, "session event: more than %d in one session", api.MaxSessionEvents)
	}
	d := captiveExemptionDetail{ID: ev.ID, At: ev.At.UTC(), Minutes: ev.Minutes, LocalUID: ev.By, Session: sess.ID}
	if json.Valid(sess.Device) {
		d.Device = sess.Device
	}
	var code api.Code
	if u, err := s.st.GetUser(ctx, sess.UserID); err == nil && s.cfg.group(u.Group).NoCaptiveExemption {
		d.Forbidden, code = true, api.CodeCaptiveExemptionRefused
	}
	s.audit(ctx, ev.Kind, sess.UserID, source, code, d)
	return nil
}
