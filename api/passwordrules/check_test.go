package passwordrules

import (
	"reflect"
	"strings"
	"testing"

	"github.com/opensvpn/svpn/api"
)

func rules(vs []api.Violation) []string {
	var rs []string
	for _, v := range vs {
		rs = append(rs, v.Rule)
		if v.Message == "" {
			panic("violation without message: " + v.Rule)
		}
	}
	return rs
}

func TestCheckDefault(t *testing.T) {
	tests := []struct {
		name          string
		userID, nw, o string
		want          []string
	}{
		{"good", "hong", "Seoul2024!", "svpn1234!", nil},
		{"good with every special", "hong", "a1" + DefaultSpecials[:20], "", nil},
		{"good at 9", "hong", "abcdef1!x", "", nil},
		{"good at 30", "hong", strings.Repeat("ab1!", 7) + "ab", "", nil},
		{"initial password kept", "hong", "svpn1234!", "svpn1234!", []string{RuleSameAsOld}},
		{"same as old", "hong", "Seoul2024!", "Seoul2024!", []string{RuleSameAsOld}},
		{"old unknown", "hong", "Seoul2024!", "", nil},
		{"too short", "hong", "ab1!", "", []string{RuleLength}},
		{"too long", "hong", strings.Repeat("ab1!", 8), "", []string{RuleLength}},
		{"empty", "hong", "", "", []string{RuleLength, RuleLetter, RuleDigit, RuleSpecial}},
		{"no letter", "hong", "123456789!", "", []string{RuleLetter}},
		{"no digit", "hong", "abcdefghi!", "", []string{RuleDigit}},
		{"no special", "hong", "abcdefgh12", "", []string{RuleSpecial}},
		{"contains id", "hong", "xhong2024!", "", []string{RuleContainsUserID}},
		{"contains id other case", "Hong", "xHONG2024!", "", []string{RuleContainsUserID}},
		{"no user id given", "", "xhong2024!", "", nil},
		{"three in a row", "hong", "Seoul2000!", "", []string{RuleRepeatedChars}},
		{"two in a row ok", "hong", "Seoul200!x", "", nil},
		{"case differs is not a repeat", "hong", "aAa1!bcdefg", "", nil},
		{"three specials in a row", "hong", "Seoul20!!!", "", []string{RuleRepeatedChars}},
		{"space", "hong", "Seoul 2024!", "", []string{RuleInvalidChars}},
		{"ampersand", "hong", "Seoul2024&", "", []string{RuleSpecial, RuleInvalidChars}},
		{"hangul", "hong", "서울Seoul2024!", "", []string{RuleInvalidChars}},
		{"hangul only", "hong", "서울특별시청공무원입니다", "", []string{RuleLetter, RuleDigit, RuleSpecial, RuleInvalidChars}},
		{"control char", "hong", "Seoul2024!\x00", "", []string{RuleInvalidChars}},
		{"everything wrong", "aaa", "aaa", "aaa", []string{RuleLength, RuleDigit, RuleSpecial, RuleSameAsOld, RuleContainsUserID, RuleRepeatedChars}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rules(Check(Default(), tt.userID, tt.nw, tt.o))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Check(%q, %q, %q) = %v, want %v", tt.userID, tt.nw, tt.o, got, tt.want)
			}
		})
	}
}

func TestCheckLengthCountsCharacters(t *testing.T) {
	// Nine characters, more than nine bytes: length counts characters, and
	// the non-ASCII ones are reported separately.
	got := rules(Check(Default(), "", "가a1!bcdef", ""))
	want := []string{RuleInvalidChars}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestCheckCustomPolicy(t *testing.T) {
	p := api.PasswordRules{MinLength: 4, Specials: "&"}
	tests := []struct {
		pw   string
		want []string
	}{
		{"abcd", nil},
		{"aaaa", nil}, // MaxRepeated 0: no limit
		{"abc", []string{RuleLength}},
		{strings.Repeat("a", 100), nil}, // MaxLength 0: no limit
		{"ab&d", nil},
		{"ab!d", []string{RuleInvalidChars}},
	}
	for _, tt := range tests {
		got := rules(Check(p, "abcd", tt.pw, tt.pw))
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Check(%q) = %v, want %v", tt.pw, got, tt.want)
		}
	}
}

func FuzzCheck(f *testing.F) {
	f.Add("hong", "Seoul2024!", "svpn1234!")
	f.Fuzz(func(t *testing.T, id, nw, old string) {
		vs := Check(Default(), id, nw, old)
		seen := map[string]bool{}
		for _, v := range vs {
			if seen[v.Rule] {
				t.Fatalf("rule %s reported twice", v.Rule)
			}
			seen[v.Rule] = true
		}
	})
}
