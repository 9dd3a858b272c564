package ui

import (
	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/api/passwordrules"
)

// RuleState is one line of the new-password checklist.
type RuleState int

const (
	RulePending RuleState = iota // nothing typed yet
	RuleMet
	RuleBroken
)

// ruleConfirm is the checklist's own rule: the confirmation matches.
const ruleConfirm = "confirm"

// ChecklistItem is one rule as the checklist shows it.
type ChecklistItem struct {
	Rule  string // a passwordrules rule name (passwordrules.RuleLength …), or "confirm"
	Text  string // translated, with the policy's numbers
	State RuleState
	// Gateway is set when the gateway refused the password for this rule:
	// its verdict wins over the local check until the user types again.
	Gateway bool
}

// DefaultRules are shown when the gateway's rules are not known (it was
// unreachable when the window opened): the public-sector policy the
// gateway ships with.
func DefaultRules() api.PasswordRules { return passwordrules.Default() }

// Checklist evaluates a new password against rules as the user types:
// one item per rule the policy enforces, in the order the gateway reports
// them, then the confirmation. The rules are judged by passwordrules.Check,
// the gateway's own check, so the checklist ticks exactly as it will decide. Items are pending while the field is empty.
// gatewayVerdict, if not nil, holds the rules the gateway said were broken
// for this very password.
func Checklist(p api.PasswordRules, userID, oldPW, newPW, confirm string, gatewayVerdict map[string]bool) []ChecklistItem {
	broken := map[string]bool{}
	for _, v := range passwordrules.Check(p, userID, newPW, oldPW) {
		broken[v.Rule] = true
	}
	var items []ChecklistItem
	add := func(rule string, enforced bool, text string) {
		if !enforced {
			return
		}
		it := ChecklistItem{Rule: rule, Text: text}
		switch {
		case gatewayVerdict[rule]:
			it.State, it.Gateway = RuleBroken, true
		case newPW == "":
			it.State = RulePending
		case broken[rule]:
			it.State = RuleBroken
		default:
			it.State = RuleMet
		}
		items = append(items, it)
	}
	lengthText := Tf("rule.length", map[string]any{"Min": p.MinLength, "Max": p.MaxLength})
	if p.MaxLength == 0 {
		lengthText = Tf("rule.length_min", map[string]any{"Min": p.MinLength})
	}
	add(passwordrules.RuleLength, p.MinLength > 0 || p.MaxLength > 0, lengthText)
	add(passwordrules.RuleLetter, p.RequireLetter, T("rule.letter"))
	add(passwordrules.RuleDigit, p.RequireDigit, T("rule.digit"))
	add(passwordrules.RuleSpecial, p.RequireSpecial, Tf("rule.special", map[string]any{"Specials": p.Specials}))
	add(passwordrules.RuleInvalidChars, true, T("rule.invalid_chars"))
	add(passwordrules.RuleSameAsOld, p.ForbidReuseLast, T("rule.same_as_old"))
	add(passwordrules.RuleContainsUserID, p.ForbidUserID, T("rule.contains_user_id"))
	add(passwordrules.RuleRepeatedChars, p.MaxRepeated > 0, Tf("rule.repeated_chars", map[string]any{"N": p.MaxRepeated + 1}))

	c := ChecklistItem{Rule: ruleConfirm, Text: T("rule.confirm")}
	switch {
	case confirm == "":
		c.State = RulePending
	case confirm == newPW:
		c.State = RuleMet
	default:
		c.State = RuleBroken
	}
	items = append(items, c)
	return items
}

// ChecklistOK reports whether every item is met: the 확인 button's state.
func ChecklistOK(items []ChecklistItem) bool {
	for _, it := range items {
		if it.State != RuleMet {
			return false
		}
	}
	return len(items) > 0
}

// ruleText names a rule the gateway reported that the checklist has no
// line for (a newer gateway): its own English message is shown.
func ruleText(v api.Violation) string {
	key := "rule." + v.Rule
	if t := T(key); t != key {
		return t
	}
	return v.Message
}
