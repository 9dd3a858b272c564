package tunnel

import (
	"net/netip"
	"slices"
	"testing"
)

func TestNRPTRuleFor(t *testing.T) {
	servers := []netip.Addr{netip.MustParseAddr("10.77.0.1"), netip.MustParseAddr("fd00::53")}
	r, ok := nrptRuleFor("SVPN", servers, []string{"Example.go.kr", ".example.go.kr.", " intra.example ", ""})
	if !ok || r.Key != "{SVPN-SVPN}" || r.Servers != "10.77.0.1;fd00::53" ||
		!slices.Equal(r.Names, []string{".example.go.kr", ".intra.example"}) {
		t.Fatalf("rule %+v %v", r, ok)
	}
	if _, ok := nrptRuleFor("SVPN", servers, nil); ok {
		t.Error("a rule without search domains: the adapter's DNS is enough")
	}
	if _, ok := nrptRuleFor("SVPN", nil, []string{"example.go.kr"}); ok {
		t.Error("a rule without resolvers")
	}
	// An adapter name cannot escape the key: no backslash, no brace.
	if k := nrptKey(`a\b}{c 원격`); k != "{SVPN-a_b__c___}" {
		t.Errorf("key %q", k)
	}
}

// TestNRPTStale: from what the registry holds, a later start removes the
// rules svpnd wrote (both tags) and nothing else; with a tunnel up its own
// rule stays.
func TestNRPTStale(t *testing.T) {
	entries := []nrptEntry{
		{Key: "{SVPN-SVPN}", Comment: nrptComment},                            // ours, left by a crash
		{Key: "{svpn-old}", Comment: nrptComment},                             // ours, another adapter name
		{Key: "{5ABEB7C2-0B4E-4E8F-8A5E-1B2C3D4E5F60}", Comment: ""},          // a GPO's rule
		{Key: "{SVPN-admin}", Comment: "the administrator's own"},             // looks like ours
		{Key: "{0F1E2D3C-0000-0000-0000-000000000000}", Comment: nrptComment}, // comment copied, not ours
		{Key: "{SVPN-SVPN2}", Comment: nrptComment},                           // ours, in use
	}
	if got := nrptStale(entries, ""); !slices.Equal(got, []string{"{SVPN-SVPN}", "{svpn-old}", "{SVPN-SVPN2}"}) {
		t.Errorf("at start: %q", got)
	}
	if got := nrptStale(entries, "{SVPN-SVPN2}"); !slices.Equal(got, []string{"{SVPN-SVPN}", "{svpn-old}"}) {
		t.Errorf("with a tunnel up: %q", got)
	}
	if got := nrptStale(nil, ""); got != nil {
		t.Errorf("empty registry: %q", got)
	}
}
