package store

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func testAudit(t *testing.T, b *backend) {
	ctx := context.Background()
	clk := newClock()
	s := b.open(t, WithClock(clk.Now))
	t0 := clk.Now()
	events := []AuditEvent{
		{Event: "login_refused", UserID: "hong", Source: "203.0.113.5", Node: "gw1", Code: "bad_credentials", Detail: json.RawMessage(`{"failures":1}`)},
		{Event: "login", UserID: "hong", Source: "203.0.113.5", Node: "gw1", Detail: json.RawMessage(`{"addr":"10.8.0.2"}`)},
		{Event: "login", UserID: "kim", Source: "198.51.100.9", Node: "gw2"},
		{Event: "logout", UserID: "hong", Node: "gw2"},
	}
	for _, e := range events {
		clk.Add(time.Minute)
		if err := s.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	// Same instant as the last one: ID breaks the tie.
	if err := s.AppendAudit(ctx, AuditEvent{Event: "session_kicked", UserID: "kim", Time: clk.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendAudit(ctx, AuditEvent{Event: "x", Detail: json.RawMessage(`{"a":`)}); !errors.Is(err, ErrInvalid) {
		t.Errorf("AppendAudit(bad JSON) = %v", err)
	}
	if err := s.AppendAudit(ctx, AuditEvent{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("AppendAudit(no event) = %v", err)
	}

	all, err := s.ListAudit(ctx, AuditFilter{})
	if err != nil || len(all) != 5 {
		t.Fatalf("ListAudit = %d entries, %v", len(all), err)
	}
	if all[0].Event != "session_kicked" || all[1].Event != "logout" || all[4].Event != "login_refused" {
		t.Errorf("not newest first: %v %v %v", all[0].Event, all[1].Event, all[4].Event)
	}
	first := all[4]
	if !first.Time.Equal(t0.Add(time.Minute)) || first.UserID != "hong" || first.Source != "203.0.113.5" ||
		first.Node != "gw1" || first.Code != "bad_credentials" || string(first.Detail) != `{"failures":1}` || first.ID == 0 {
		t.Errorf("entry = %+v", first)
	}
	if all[2].Detail != nil {
		t.Errorf("empty detail came back as %q", all[2].Detail)
	}

	tests := []struct {
		name   string
		f      AuditFilter
		events []string
	}{
		{"user", AuditFilter{UserID: "hong"}, []string{"logout", "login", "login_refused"}},
		{"user+limit", AuditFilter{UserID: "hong", Limit: 2}, []string{"logout", "login"}},
		{"event", AuditFilter{Event: "login"}, []string{"login", "login"}},
		{"since", AuditFilter{Since: t0.Add(3 * time.Minute)}, []string{"session_kicked", "logout", "login"}},
		{"all filters", AuditFilter{UserID: "kim", Event: "login", Since: t0}, []string{"login"}},
		{"nothing", AuditFilter{UserID: "park"}, nil},
	}
	for _, tt := range tests {
		got, err := s.ListAudit(ctx, tt.f)
		var evs []string
		for _, e := range got {
			evs = append(evs, e.Event)
		}
		if err != nil || len(evs) != len(tt.events) {
			t.Errorf("%s: ListAudit = %v, %v; want %v", tt.name, evs, err, tt.events)
			continue
		}
		for i := range evs {
			if evs[i] != tt.events[i] {
				t.Errorf("%s: ListAudit = %v, want %v", tt.name, evs, tt.events)
				break
			}
		}
	}

	n, err := s.PruneAudit(ctx, t0.Add(3*time.Minute))
	if err != nil || n != 2 {
		t.Errorf("PruneAudit = %d, %v; want 2", n, err)
	}
	if all, _ := s.ListAudit(ctx, AuditFilter{}); len(all) != 3 {
		t.Errorf("after prune: %d entries", len(all))
	}
}
