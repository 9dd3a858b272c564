package engine_test

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/engine"
	"github.com/opensvpn/svpn/gateway"
	"github.com/opensvpn/svpn/tunnel/firewall"
)

// memFirewall is the Firewall boundary as svpnd's engine sees it, holding
// the rules in memory (the nftables back end is tested for real in
// network namespaces: tunnel/firewall and e2e).
type memFirewall struct {
	mu      sync.Mutex
	p       firewall.Policy
	owner   string
	on      bool
	applied int
}

func (f *memFirewall) Apply(p firewall.Policy, owner string) error {
	if err := p.Validate(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.p, f.owner, f.on = p, owner, true
	f.applied++
	return nil
}

func (f *memFirewall) Release() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.p, f.owner, f.on = firewall.Policy{}, "", false
	return nil
}

func (f *memFirewall) Policy() (firewall.Policy, string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.p, f.owner, f.on
}

func newEngineWith(t *testing.T, d *gateway.Demo, g *gateway.Gateway, fw engine.Firewall, ao api.AlwaysOn) *engine.Engine {
	t.Helper()
	return newEngineTuned(t, d, g, func(o *engine.Options) { o.Profile.AlwaysOn, o.Firewall = ao, fw })
}

// TestGatewayGroupKillSwitch: a profile without a kill switch gets one
// when the user's group on the gateway demands it; the rules let the
// gateway's UDP endpoint and API through, and go at logout.
func TestGatewayGroupKillSwitch(t *testing.T) {
	_, d, id, g := setupGateway(t, func(c *gateway.Config) {
		grp := c.Groups["default"]
		grp.KillSwitch = true
		c.Groups["default"] = grp
	})
	fw := &memFirewall{}
	eng := newEngineWith(t, d, g, fw, api.AlwaysOn{})
	alice := engine.Caller{UID: "1000"}
	st, err := login(t, eng, alice, d, id)
	if err != nil {
		t.Fatal(err)
	}
	p, owner, on := fw.Policy()
	if !st.KillSwitch || !on || !p.KillSwitch || owner != "1000" {
		t.Fatalf("status %v, firewall %v %+v owner %q", st.KillSwitch, on, p, owner)
	}
	if p.LAN != nil {
		t.Fatalf("LAN allowed without the gateway's allow_lan: %v", p.LAN)
	}
	api4, _ := netip.ParseAddrPort(g.APIAddr.String())
	var haveUDP, haveAPI bool
	for _, ep := range p.Endpoints {
		haveUDP = haveUDP || ep.Proto == firewall.UDP && ep.Addr.String() == st.Endpoint
		haveAPI = haveAPI || ep.Proto == firewall.TCP && ep.Addr == api4
	}
	if !haveUDP || !haveAPI {
		t.Fatalf("endpoints %v: want the UDP endpoint %s and the API %v", p.Endpoints, st.Endpoint, api4)
	}
	if _, err := eng.Logout(context.Background(), alice); err != nil {
		t.Fatal(err)
	}
	if _, _, on := fw.Policy(); on || eng.Status().KillSwitch {
		t.Fatal("the kill switch outlived the logout")
	}
}

// TestKillSwitchOwner: a kill switch kept from an earlier run (svpnd
// restarted after a crash) is lifted by its owner's logout or an
// administrator's, never by another local user's; nor can another user
// open a captive-portal exemption in it, and where the profile allows
// none nobody can.
func TestKillSwitchOwner(t *testing.T) {
	_, d, _, g := setupGateway(t)
	alice, bob, admin := engine.Caller{UID: "1000"}, engine.Caller{UID: "1001"}, engine.Caller{UID: "0", Admin: true}
	kept := firewall.Policy{KillSwitch: true, Endpoints: []firewall.Endpoint{{Proto: firewall.UDP, Addr: netip.MustParseAddrPort("192.0.2.1:51820")}}}
	ctx := context.Background()

	for _, lifter := range []engine.Caller{alice, admin} {
		fw := &memFirewall{}
		fw.Apply(kept, alice.UID)
		eng := newEngineWith(t, d, g, fw, api.AlwaysOn{KillSwitch: true, CaptiveExemptionMinutes: 5})
		if !eng.Status().KillSwitch {
			t.Fatal("the kept kill switch is not in the status")
		}
		if _, err := eng.Logout(ctx, bob); api.CodeOf(err) != api.CodeKillSwitchOwner {
			t.Fatalf("another user's logout: %v", err)
		}
		if _, err := eng.CaptiveExempt(ctx, bob); api.CodeOf(err) != api.CodeKillSwitchOwner {
			t.Fatalf("another user's exemption: %v", err)
		}
		if p, _, on := fw.Policy(); !on || !p.ExemptUntil.IsZero() {
			t.Fatalf("another user changed the kill switch: %v %+v", on, p)
		}
		st, err := eng.CaptiveExempt(ctx, lifter)
		if err != nil {
			t.Fatal(err)
		}
		p, _, _ := fw.Policy()
		if d := time.Until(p.ExemptUntil); d < 4*time.Minute || d > 5*time.Minute || !p.ExemptUntil.Equal(st.CaptiveExemptUntil) {
			t.Fatalf("exemption until %v (status %v)", p.ExemptUntil, st.CaptiveExemptUntil)
		}
		if _, err := eng.Logout(ctx, lifter); err != nil {
			t.Fatalf("%+v's logout: %v", lifter, err)
		}
		if _, _, on := fw.Policy(); on || eng.Status().KillSwitch {
			t.Fatalf("%+v's logout left the kill switch", lifter)
		}
	}

	fw := &memFirewall{}
	fw.Apply(kept, alice.UID)
	eng := newEngineWith(t, d, g, fw, api.AlwaysOn{KillSwitch: true})
	if _, err := eng.CaptiveExempt(ctx, alice); api.CodeOf(err) != api.CodeCaptiveExemptionRefused {
		t.Fatalf("exemption the profile does not allow: %v", err)
	}
	if p, _, _ := fw.Policy(); !p.ExemptUntil.IsZero() {
		t.Fatal("a refused exemption changed the rules")
	}
}

// TestKillSwitchNeedsFirewall: where no firewall can be set (svpnd
// --userspace), a policy that requires the kill switch refuses to connect
// rather than connect without it.
func TestKillSwitchNeedsFirewall(t *testing.T) {
	_, d, id, g := setupGateway(t, func(c *gateway.Config) {
		grp := c.Groups["default"]
		grp.KillSwitch = true
		c.Groups["default"] = grp
	})
	eng := newEngineWith(t, d, g, nil, api.AlwaysOn{})
	_, err := login(t, eng, engine.Caller{UID: "1000"}, d, id)
	if api.CodeOf(err) != api.CodeFirewall {
		t.Fatalf("login without a firewall under a kill-switch policy: %v", err)
	}
	if st := eng.Status(); st.State != api.StateDisconnected || st.KillSwitch {
		t.Fatalf("status %+v", st)
	}
}
