package engine_test

import (
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/engine"
	"github.com/opensvpn/svpn/gateway"
	"github.com/opensvpn/svpn/gateway/store"
	"github.com/opensvpn/svpn/tunnel/firewall"
)

func newEngineEvents(t *testing.T, d *gateway.Demo, g *gateway.Gateway, fw engine.Firewall, ao api.AlwaysOn, events string) *engine.Engine {
	t.Helper()
	return newEngineTuned(t, d, g, func(o *engine.Options) { o.Profile.AlwaysOn, o.Firewall, o.EventsFile = ao, fw, events })
}

// TestCaptiveExemptionAuditedAtGateway: an exemption opened while no
// session is up (the kill switch kept, the gateway out of reach behind a
// hotel's portal) is kept on disk through an svpnd restart and lands in
// the gateway's audit log, with the user and the minutes, once a session
// is up again; then nothing is left to report.
func TestCaptiveExemptionAuditedAtGateway(t *testing.T) {
	_, d, id, g := setupGateway(t)
	ctx := context.Background()
	alice := engine.Caller{UID: "1000"}
	fw := &memFirewall{}
	fw.Apply(firewall.Policy{KillSwitch: true, Endpoints: []firewall.Endpoint{{Proto: firewall.UDP, Addr: netip.MustParseAddrPort("192.0.2.1:51820")}}}, alice.UID)
	events := filepath.Join(t.TempDir(), "unreported-events.json")
	ao := api.AlwaysOn{CaptiveExemptionMinutes: 7}

	eng := newEngineEvents(t, d, g, fw, ao, events)
	if _, err := eng.CaptiveExempt(ctx, alice); err != nil {
		t.Fatal(err)
	}
	if u := eng.Unreported(); len(u) != 1 || u[0].Minutes != 7 || u[0].By != "1000" || u[0].Kind != api.SessionEventCaptiveExemption {
		t.Fatalf("unreported %+v", u)
	}
	eng.Close() // svpnd stops (or dies) before the gateway is reachable

	eng = newEngineEvents(t, d, g, fw, ao, events)
	if u := eng.Unreported(); len(u) != 1 {
		t.Fatalf("after a restart %d unreported events, want the 1 kept on disk", len(u))
	}
	if notes := eng.Diagnostics(ctx).Notes; !slices.ContainsFunc(notes, func(n string) bool {
		return strings.HasPrefix(n, "not yet in the gateway's audit log: captive_exemption")
	}) {
		t.Fatalf("the unreported exemption is not in the diagnostics: %q", notes)
	}
	if _, err := login(t, eng, alice, d, id); err != nil {
		t.Fatal(err)
	}
	var rows []store.AuditEvent
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		var err error
		rows, err = g.Store.ListAudit(ctx, store.AuditFilter{Event: api.SessionEventCaptiveExemption})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) > 0 && len(eng.Unreported()) == 0 {
			break
		}
	}
	if len(rows) != 1 || rows[0].UserID != d.UserID {
		t.Fatalf("audit rows %+v", rows)
	}
	var detail struct {
		Minutes  int    `json:"minutes"`
		LocalUID string `json:"local_user"`
	}
	if err := json.Unmarshal(rows[0].Detail, &detail); err != nil || detail.Minutes != 7 || detail.LocalUID != "1000" {
		t.Fatalf("detail %s: %v", rows[0].Detail, err)
	}
	if u := eng.Unreported(); len(u) != 0 {
		t.Fatalf("reported events kept: %+v", u)
	}
	if _, err := os.Stat(events); !os.IsNotExist(err) {
		t.Fatalf("the events file outlived the report: %v", err)
	}
}

// TestGatewayForbidsCaptiveExemption: where the user's group forbids
// exemptions, svpnctl captive-exempt is refused although the profile
// allows them, during the session and after svpnd restarted with the kill
// switch kept, and the rules are not touched.
func TestGatewayForbidsCaptiveExemption(t *testing.T) {
	_, d, id, g := setupGateway(t, func(c *gateway.Config) {
		grp := c.Groups["default"]
		grp.KillSwitch, grp.NoCaptiveExemption = true, true
		c.Groups["default"] = grp
	})
	ctx := context.Background()
	alice := engine.Caller{UID: "1000"}
	fw := &memFirewall{}
	ao := api.AlwaysOn{KillSwitch: true, CaptiveExemptionMinutes: 10}
	eng := newEngineWith(t, d, g, fw, ao)
	if _, err := login(t, eng, alice, d, id); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.CaptiveExempt(ctx, alice); api.CodeOf(err) != api.CodeCaptiveExemptionRefused {
		t.Fatalf("exemption the group forbids: %v", err)
	}
	p, _, _ := fw.Policy()
	if !p.ExemptUntil.IsZero() || !p.NoExemption {
		t.Fatalf("policy %+v", p)
	}
	// svpnd is killed: the next run finds the rules as they were (the
	// Guard's state file), without the tunnel.
	p.Interface, p.MTU = "", 0
	fw = &memFirewall{}
	fw.Apply(p, alice.UID)
	eng = newEngineWith(t, d, g, fw, ao)
	if _, err := eng.CaptiveExempt(ctx, alice); api.CodeOf(err) != api.CodeCaptiveExemptionRefused {
		t.Fatalf("after a restart, exemption the group forbids: %v", err)
	}
	if p, _, on := fw.Policy(); !on || !p.KillSwitch || !p.ExemptUntil.IsZero() || len(eng.Unreported()) != 0 {
		t.Fatalf("policy %v %+v", on, p)
	}
}
