package ui

import (
	"strings"
	"testing"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/api/passwordrules"
)

func states(items []ChecklistItem) map[string]RuleState {
	m := map[string]RuleState{}
	for _, it := range items {
		m[it.Rule] = it.State
	}
	return m
}

func TestChecklist(t *testing.T) {
	rules := DefaultRules()
	const user, old = "test05", "svpn1234!"
	P, M, B := RulePending, RuleMet, RuleBroken
	for _, tc := range []struct {
		newPW, confirm string
		want           map[string]RuleState
	}{
		{"", "", map[string]RuleState{"length": P, "letter": P, "digit": P, "special": P, "invalid_chars": P, "same_as_old": P, "contains_user_id": P, "repeated_chars": P, "confirm": P}},
		{"Remote9", "", map[string]RuleState{"length": B, "letter": M, "digit": M, "special": B, "invalid_chars": M, "same_as_old": M, "contains_user_id": M, "repeated_chars": M, "confirm": P}},
		{"Remote9-work!", "Remote9-work", map[string]RuleState{"length": M, "letter": M, "digit": M, "special": M, "confirm": B}},
		{"Remote9-work!", "Remote9-work!", map[string]RuleState{"length": M, "letter": M, "digit": M, "special": M, "invalid_chars": M, "same_as_old": M, "contains_user_id": M, "repeated_chars": M, "confirm": M}},
		{"svpn1234!", "", map[string]RuleState{"same_as_old": B, "length": M}},
		{"xTEST05yz9!", "", map[string]RuleState{"contains_user_id": B}},
		{"Raaa9-work!", "", map[string]RuleState{"repeated_chars": B}},
		{"Raa9-work!", "", map[string]RuleState{"repeated_chars": M}},
		{"원격근무9-abc!", "", map[string]RuleState{"invalid_chars": B, "letter": M}},
		{"Remote 9-work!", "", map[string]RuleState{"invalid_chars": B}},
		{strings.Repeat("Ab1!", 8), "", map[string]RuleState{"length": B}},
	} {
		got := states(Checklist(rules, user, old, tc.newPW, tc.confirm, nil))
		for rule, want := range tc.want {
			if got[rule] != want {
				t.Errorf("%q/%q: rule %s is %v, want %v", tc.newPW, tc.confirm, rule, got[rule], want)
			}
		}
	}
}

// TestChecklistAgreesWithGateway: the checklist is all green exactly when
// the gateway's own check passes (and the confirmation matches).
func TestChecklistAgreesWithGateway(t *testing.T) {
	rules := DefaultRules()
	for _, pw := range []string{"Remote9-work!", "short1!", "NoDigits!!x", "nospecial99", "test05Abc1!", "aaa1!Bbbbbb", "Good-pass1", "Good pass1!", "svpn1234!", "Zz9~Zz9~Zz9~"} {
		items := Checklist(rules, "test05", "svpn1234!", pw, pw, nil)
		gw := passwordrules.Check(rules, "test05", pw, "svpn1234!")
		if ChecklistOK(items) != (len(gw) == 0) {
			t.Errorf("%q: checklist OK=%v, gateway violations %v", pw, ChecklistOK(items), gw)
		}
	}
}

func TestChecklistGatewayVerdict(t *testing.T) {
	items := Checklist(DefaultRules(), "test05", "old", "Remote9-work!", "Remote9-work!", map[string]bool{"same_as_old": true})
	for _, it := range items {
		if it.Rule == "same_as_old" && (it.State != RuleBroken || !it.Gateway) {
			t.Errorf("the gateway's verdict must win: %+v", it)
		}
		if it.Rule == "length" && it.Gateway {
			t.Errorf("only the refused rule carries the verdict: %+v", it)
		}
	}
	if ChecklistOK(items) {
		t.Error("a gateway verdict must block 확인")
	}
}

func TestChecklistRulesFollowPolicy(t *testing.T) {
	r := api.PasswordRules{MinLength: 12, RequireDigit: true, Specials: "!"}
	items := Checklist(r, "u", "", "abc", "", nil)
	var rules []string
	for _, it := range items {
		rules = append(rules, it.Rule)
	}
	if got := strings.Join(rules, ","); got != "length,digit,invalid_chars,confirm" {
		t.Errorf("rules shown for a lax policy: %s", got)
	}
	if !strings.Contains(items[0].Text, "12") {
		t.Errorf("length text: %q", items[0].Text)
	}
	if got := Checklist(DefaultRules(), "u", "", "", "", nil)[0].Text; got != "9~30자" {
		t.Errorf("default length text: %q", got)
	}
}

func TestCapsFromRune(t *testing.T) {
	for _, tc := range []struct {
		r         rune
		shift     bool
		on, known bool
	}{
		{'a', false, false, true},
		{'A', false, true, true},
		{'A', true, false, true},
		{'a', true, true, true},
		{'1', false, false, false},
		{'!', true, false, false},
		{'한', false, false, false},
	} {
		on, known := capsFromRune(tc.r, tc.shift)
		if on != tc.on || known != tc.known {
			t.Errorf("%q shift=%v: got %v,%v", tc.r, tc.shift, on, known)
		}
	}
}
