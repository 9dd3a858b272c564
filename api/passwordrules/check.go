// Package passwordrules checks a new password against api.PasswordRules,
// the policy the gateway publishes in /api/v1/info. The gateway decides with
// it and front ends tick their checklist with it as the user types, so both
// judge alike. It imports nothing but api: the argon2 hashing of passwords
// stays in gateway/password, out of the front ends' binaries.
package passwordrules

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/opensvpn/svpn/api"
)

// DefaultSpecials are the special characters Korean public-sector systems
// accept in passwords. Space, quotes, backslash, & and , are left out because
// legacy systems behind the portal choke on them.
const DefaultSpecials = "~!@#$%^*()_+|={}:<>?[;./-"

// Default returns the public-sector rules: 9–30 characters mixing letters,
// digits and special characters, not the old password, not containing the
// user ID, no character three times in a row.
func Default() api.PasswordRules {
	return api.PasswordRules{
		MinLength:       9,
		MaxLength:       30,
		RequireLetter:   true,
		RequireDigit:    true,
		RequireSpecial:  true,
		Specials:        DefaultSpecials,
		MaxRepeated:     2,
		ForbidUserID:    true,
		ForbidReuseLast: true,
	}
}

// Rule names Check reports in api.Violation.Rule. The strings are stable:
// clients map them to translated text, so they never change meaning once
// shipped.
const (
	RuleLength         = "length"
	RuleLetter         = "letter"
	RuleDigit          = "digit"
	RuleSpecial        = "special"
	RuleSameAsOld      = "same_as_old"
	RuleContainsUserID = "contains_user_id"
	RuleRepeatedChars  = "repeated_chars"
	RuleInvalidChars   = "invalid_chars"
)

// Check returns every rule of p that newPassword breaks, in a fixed order,
// or nil when it is acceptable. Each violation carries an English
// explanation for logs and developers; user-facing text comes from the
// client's tables keyed by Rule. The user sees all problems at once instead of fixing them
// one round trip at a time. oldPassword may be empty when unknown (e.g. an
// administrator setting a password), in which case it is not compared.
func Check(p api.PasswordRules, userID, newPassword, oldPassword string) []api.Violation {
	var v []api.Violation
	add := func(r string, format string, args ...any) {
		v = append(v, api.Violation{Rule: r, Message: fmt.Sprintf(format, args...)})
	}

	n := utf8.RuneCountInString(newPassword)
	switch {
	case p.MaxLength > 0 && (n < p.MinLength || n > p.MaxLength):
		add(RuleLength, "must be %d to %d characters long, is %d", p.MinLength, p.MaxLength, n)
	case n < p.MinLength:
		add(RuleLength, "must be at least %d characters long, is %d", p.MinLength, n)
	}

	var letter, digit, special bool
	var invalid []rune
	for _, r := range newPassword {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z':
			letter = true
		case '0' <= r && r <= '9':
			digit = true
		case r < utf8.RuneSelf && r > ' ' && strings.ContainsRune(p.Specials, r):
			special = true
		default:
			if len(invalid) < 8 && !containsRune(invalid, r) {
				invalid = append(invalid, r)
			}
		}
	}
	if p.RequireLetter && !letter {
		add(RuleLetter, "must contain a letter (a-z, A-Z)")
	}
	if p.RequireDigit && !digit {
		add(RuleDigit, "must contain a digit (0-9)")
	}
	if p.RequireSpecial && !special {
		add(RuleSpecial, "must contain one of the special characters %s", p.Specials)
	}
	if len(invalid) > 0 {
		// Quote with %+q so that spaces, control and non-ASCII characters
		// are visible in logs.
		add(RuleInvalidChars, "contains characters that are not allowed: %+q; use letters, digits and %s", string(invalid), p.Specials)
	}
	if p.ForbidReuseLast && oldPassword != "" && newPassword == oldPassword {
		add(RuleSameAsOld, "must differ from the current password")
	}
	if p.ForbidUserID && userID != "" && strings.Contains(strings.ToLower(newPassword), strings.ToLower(userID)) {
		add(RuleContainsUserID, "must not contain the user ID")
	}
	if p.MaxRepeated > 0 {
		if r, ok := longRun(newPassword, p.MaxRepeated); ok {
			add(RuleRepeatedChars, "must not repeat a character more than %d times in a row (%+q)", p.MaxRepeated, r)
		}
	}
	return v
}

// longRun reports the first character that occurs more than limit times in a
// row in s.
func longRun(s string, limit int) (rune, bool) {
	prev, run := rune(-1), 0
	for _, r := range s {
		if r == prev {
			run++
		} else {
			prev, run = r, 1
		}
		if run > limit {
			return r, true
		}
	}
	return 0, false
}

func containsRune(rs []rune, r rune) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}
