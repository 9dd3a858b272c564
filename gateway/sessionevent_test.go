package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore/certgen"
	"github.com/opensvpn/svpn/gateway/store"
)

// TestSessionEventAudited: a captive-portal exemption svpnd reports
// through the session lands in the audit log with the session's user and
// device, whatever user the body might name; without a valid session token
// nothing is written.
func TestSessionEventAudited(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	a := h.addUser("test05", "Good-pass9!", false, nil, certgen.UserOptions{Name: "홍길동"})
	b := h.addUser("test06", "Good-pass9!", false, nil, certgen.UserOptions{Name: "김철수"})
	resp, err := h.login(a)
	if err != nil {
		t.Fatal(err)
	}
	at := h.clock.Now().Add(-3 * time.Minute).Truncate(time.Second)
	ev := api.SessionEvent{ID: "ev-1", Kind: api.SessionEventCaptiveExemption, At: at, Minutes: 10, By: "1000"}
	if err := h.client.ReportEvent(ctx, resp.SessionToken, ev); err != nil {
		t.Fatal(err)
	}
	rows := auditRows(t, h, "test05", api.SessionEventCaptiveExemption)
	if len(rows) != 1 {
		t.Fatalf("%d captive_exemption rows, want 1", len(rows))
	}
	var d captiveExemptionDetail
	if err := json.Unmarshal(rows[0].Detail, &d); err != nil {
		t.Fatal(err)
	}
	if d.Minutes != 10 || !d.At.Equal(at) || d.Session != resp.SessionID || d.ID != "ev-1" || d.LocalUID != "1000" || len(d.Device) == 0 || rows[0].Code != "" {
		t.Fatalf("audit row %+v detail %s", rows[0], rows[0].Detail)
	}

	// Forged reports: no token, a made-up token, a malformed body. None
	// is written, least of all for another user.
	for name, tok := range map[string]string{"no token": "", "made-up token": "Zm9yZ2Vk-not-a-session"} {
		err := h.client.ReportEvent(ctx, tok, ev)
		if api.CodeOf(err) != api.CodeUnauthorized {
			t.Errorf("%s: %v, want unauthorized", name, err)
		}
	}
	bad := ev
	bad.Minutes = 600
	if err := h.client.ReportEvent(ctx, resp.SessionToken, bad); api.CodeOf(err) != api.CodeBadRequest {
		t.Errorf("600 minutes: %v, want bad_request", err)
	}
	// A raw request with a body naming another user: the body has no say.
	body, _ := json.Marshal(map[string]any{"id": "ev-2", "kind": "captive_exemption", "at": at, "minutes": 5, "user_id": "test06"})
	req, _ := http.NewRequest(http.MethodPost, h.baseURL()+api.PathSessionEvent, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+resp.SessionToken)
	hr, err := h.httpClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	hr.Body.Close()
	if n := len(auditRows(t, h, b.id, api.SessionEventCaptiveExemption)); n != 0 {
		t.Fatalf("%d rows for the user the body named", n)
	}
	if n := len(auditRows(t, h, "test05", api.SessionEventCaptiveExemption)); n != 2 {
		t.Fatalf("%d rows for the session's user, want 2", n)
	}

	// An ended session cannot report.
	if err := h.client.Logout(ctx, resp.SessionToken); err != nil {
		t.Fatal(err)
	}
	ev.ID = "ev-3"
	if err := h.client.ReportEvent(ctx, resp.SessionToken, ev); api.CodeOf(err) != api.CodeSessionEnded {
		t.Errorf("after logout: %v, want session_ended", err)
	}
	if n := len(auditRows(t, h, "test05", api.SessionEventCaptiveExemption)); n != 2 {
		t.Fatalf("%d rows after a report on an ended session, want 2", n)
	}
}

// TestGroupForbidsCaptiveExemption: a group with no_captive_exemption
// tells its clients so at login, and an exemption reported anyway is
// audited with the refusal's code.
func TestGroupForbidsCaptiveExemption(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		g := c.Groups["default"]
		g.KillSwitch, g.NoCaptiveExemption = true, true
		c.Groups["default"] = g
	})
	a := h.addUser("test05", "Good-pass9!", false, nil, certgen.UserOptions{Name: "홍길동"})
	resp, err := h.login(a)
	if err != nil {
		t.Fatal(err)
	}
	if !resp.Tunnel.KillSwitch || !resp.Tunnel.NoCaptiveExemption {
		t.Fatalf("tunnel %+v: the group's policy was not pushed", resp.Tunnel)
	}
	ev := api.SessionEvent{ID: "ev-1", Kind: api.SessionEventCaptiveExemption, At: h.clock.Now(), Minutes: 5}
	if err := h.client.ReportEvent(context.Background(), resp.SessionToken, ev); err != nil {
		t.Fatal(err)
	}
	rows := auditRows(t, h, "test05", api.SessionEventCaptiveExemption)
	if len(rows) != 1 || rows[0].Code != string(api.CodeCaptiveExemptionRefused) || !bytes.Contains(rows[0].Detail, []byte(`"forbidden":true`)) {
		t.Fatalf("rows %+v", rows)
	}
}

func auditRows(t *testing.T, h *harness, user, event string) []store.AuditEvent {
	t.Helper()
	rows, err := h.st.ListAudit(context.Background(), store.AuditFilter{UserID: user, Event: event, Limit: store.MaxAuditLimit})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestSessionEventBounded: a report sent again is one row; a session
// cannot flood the audit log beyond api.MaxSessionEvents.
func TestSessionEventBounded(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	a := h.addUser("test05", "Good-pass9!", false, nil, certgen.UserOptions{Name: "홍길동"})
	resp, err := h.login(a)
	if err != nil {
		t.Fatal(err)
	}
	ev := api.SessionEvent{ID: "same", Kind: api.SessionEventCaptiveExemption, At: h.clock.Now(), Minutes: 1}
	for range 3 {
		if err := h.client.ReportEvent(ctx, resp.SessionToken, ev); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(auditRows(t, h, "test05", api.SessionEventCaptiveExemption)); n != 1 {
		t.Fatalf("a report sent 3 times: %d rows", n)
	}
	for i := 1; i < api.MaxSessionEvents; i++ {
		ev.ID = fmt.Sprint("ev-", i)
		if err := h.client.ReportEvent(ctx, resp.SessionToken, ev); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	ev.ID = "one-too-many"
	if err := h.client.ReportEvent(ctx, resp.SessionToken, ev); api.CodeOf(err) != api.CodeBadRequest {
		t.Fatalf("event %d: %v, want bad_request", api.MaxSessionEvents+1, err)
	}
	if n := len(auditRows(t, h, "test05", api.SessionEventCaptiveExemption)); n != api.MaxSessionEvents {
		t.Fatalf("%d rows, want %d", n, api.MaxSessionEvents)
	}
}
