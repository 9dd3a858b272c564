package password

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func rules(vs []Violation) []Rule {
	var rs []Rule
	for _, v := range vs {
		rs = append(rs, v.Rule)
		if v.Message == "" {
			panic("violation without message: " + string(v.Rule))
		}
	}
	return rs
}

func TestCheckDefault(t *testing.T) {
	tests := []struct {
		name          string
		userID, nw, o string
		want          []Rule
	}{
		{"good", "hong", "Seoul2024!", "svpn1234!", nil},
		{"good with every special", "hong", "a1" + DefaultSpecials[:20], "", nil},
		{"good at 9", "hong", "abcdef1!x", "", nil},
		{"good at 30", "hong", strings.Repeat("ab1!", 7) + "ab", "", nil},
		{"initial password kept", "hong", "svpn1234!", "svpn1234!", []Rule{RuleSameAsOld}},
		{"same as old", "hong", "Seoul2024!", "Seoul2024!", []Rule{RuleSameAsOld}},
		{"old unknown", "hong", "Seoul2024!", "", nil},
		{"too short", "hong", "ab1!", "", []Rule{RuleLength}},
		{"too long", "hong", strings.Repeat("ab1!", 8), "", []Rule{RuleLength}},
		{"empty", "hong", "", "", []Rule{RuleLength, RuleLetter, RuleDigit, RuleSpecial}},
		{"no letter", "hong", "123456789!", "", []Rule{RuleLetter}},
		{"no digit", "hong", "abcdefghi!", "", []Rule{RuleDigit}},
		{"no special", "hong", "abcdefgh12", "", []Rule{RuleSpecial}},
		{"contains id", "hong", "xhong2024!", "", []Rule{RuleContainsUserID}},
		{"contains id other case", "Hong", "xHONG2024!", "", []Rule{RuleContainsUserID}},
		{"no user id given", "", "xhong2024!", "", nil},
		{"three in a row", "hong", "Seoul2000!", "", []Rule{RuleRepeatedChars}},
		{"two in a row ok", "hong", "Seoul200!x", "", nil},
		{"case differs is not a repeat", "hong", "aAa1!bcdefg", "", nil},
		{"three specials in a row", "hong", "Seoul20!!!", "", []Rule{RuleRepeatedChars}},
		{"space", "hong", "Seoul 2024!", "", []Rule{RuleInvalidChars}},
		{"ampersand", "hong", "Seoul2024&", "", []Rule{RuleSpecial, RuleInvalidChars}},
		{"hangul", "hong", "서울Seoul2024!", "", []Rule{RuleInvalidChars}},
		{"hangul only", "hong", "서울특별시청공무원입니다", "", []Rule{RuleLetter, RuleDigit, RuleSpecial, RuleInvalidChars}},
		{"control char", "hong", "Seoul2024!\x00", "", []Rule{RuleInvalidChars}},
		{"everything wrong", "aaa", "aaa", "aaa", []Rule{RuleLength, RuleDigit, RuleSpecial, RuleSameAsOld, RuleContainsUserID, RuleRepeatedChars}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rules(Check(DefaultPolicy, tt.userID, tt.nw, tt.o))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Check(%q, %q, %q) = %v, want %v", tt.userID, tt.nw, tt.o, got, tt.want)
			}
		})
	}
}

func TestCheckLengthCountsCharacters(t *testing.T) {
	// Nine characters, more than nine bytes: length counts characters, and
	// the non-ASCII ones are reported separately.
	got := rules(Check(DefaultPolicy, "", "가a1!bcdef", ""))
	want := []Rule{RuleInvalidChars}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestCheckCustomPolicy(t *testing.T) {
	p := Policy{MinLength: 4, Specials: "&"}
	tests := []struct {
		pw   string
		want []Rule
	}{
		{"abcd", nil},
		{"aaaa", nil}, // MaxRepeat 0: no limit
		{"abc", []Rule{RuleLength}},
		{strings.Repeat("a", 100), nil}, // MaxLength 0: no limit
		{"ab&d", nil},
		{"ab!d", []Rule{RuleInvalidChars}},
	}
	for _, tt := range tests {
		got := rules(Check(p, "abcd", tt.pw, tt.pw))
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Check(%q) = %v, want %v", tt.pw, got, tt.want)
		}
	}
}

func TestPolicyJSON(t *testing.T) {
	b, err := json.Marshal(DefaultPolicy)
	if err != nil {
		t.Fatal(err)
	}
	var p Policy
	if err := json.Unmarshal(b, &p); err != nil || p != DefaultPolicy {
		t.Errorf("round trip = %+v, %v", p, err)
	}
	if !strings.Contains(string(b), `"min_length":9`) {
		t.Errorf("JSON = %s", b)
	}
}

func FuzzCheck(f *testing.F) {
	f.Add("hong", "Seoul2024!", "svpn1234!")
	f.Fuzz(func(t *testing.T, id, nw, old string) {
		vs := Check(DefaultPolicy, id, nw, old)
		seen := map[Rule]bool{}
		for _, v := range vs {
			if seen[v.Rule] {
				t.Fatalf("rule %s reported twice", v.Rule)
			}
			seen[v.Rule] = true
		}
	})
}
