package ui

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/opensvpn/svpn/assets"
)

func loadTable(t *testing.T, l string) map[string]string {
	t.Helper()
	b, err := assets.Translations.ReadFile("translations/" + l + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s.json: %v", l, err)
	}
	return m
}

var templateField = regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)

func fields(s string) string {
	var out []string
	for _, m := range templateField.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// TestTranslationsComplete: Korean and English have the same keys, no
// empty text, and the same template fields.
func TestTranslationsComplete(t *testing.T) {
	ko, en := loadTable(t, "ko"), loadTable(t, "en")
	for k, v := range ko {
		e, ok := en[k]
		switch {
		case !ok:
			t.Errorf("%q: in ko.json, missing from en.json", k)
		case strings.TrimSpace(v) == "" || strings.TrimSpace(e) == "":
			t.Errorf("%q: empty text", k)
		case fields(v) != fields(e):
			t.Errorf("%q: template fields differ: ko %q, en %q", k, fields(v), fields(e))
		}
	}
	for k := range en {
		if _, ok := ko[k]; !ok {
			t.Errorf("%q: in en.json, missing from ko.json", k)
		}
	}
	for _, l := range assets.Languages {
		if _, err := assets.Translations.ReadFile("translations/" + l + ".json"); err != nil {
			t.Errorf("language %s: %v", l, err)
		}
	}
}

// translationKey matches the string literals of the app's namespaces.
var translationKey = regexp.MustCompile(`"((?:app|common|login|status|picker|cert|pwchange|rule|reason|state|tray|notify|diag|env|about|error|conn|save)\.[a-z0-9_]+)"`)

// TestTranslationKeysUsed: every key the code names exists in both
// languages (keys built at run time are checked by the tests of their
// tables: errors, rules, reasons, states).
func TestTranslationKeysUsed(t *testing.T) {
	ko, en := loadTable(t, "ko"), loadTable(t, "en")
	var files []string
	for _, pat := range []string{"*.go", "tray/*.go", "../cmd/svpn/*.go"} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range translationKey.FindAllStringSubmatch(string(b), -1) {
			n++
			if _, ok := ko[m[1]]; !ok {
				t.Errorf("%s: key %q missing from ko.json", f, m[1])
			}
			if _, ok := en[m[1]]; !ok {
				t.Errorf("%s: key %q missing from en.json", f, m[1])
			}
		}
	}
	if n < 100 {
		t.Fatalf("found only %d keys in the code: is the pattern right?", n)
	}
}

func TestStateAndReasonTexts(t *testing.T) {
	for _, s := range []string{"disconnected", "authenticating", "password_change_required", "connecting", "connected", "reconnecting"} {
		if got := T("state." + s); got == "state."+s {
			t.Errorf("state %s has no text", s)
		}
	}
	for _, r := range []string{"logout", "kicked", "expired", "replaced", "revoked", ""} {
		if got := EndReasonText(r); strings.HasPrefix(got, "reason.") {
			t.Errorf("reason %q: %q", r, got)
		}
	}
	if got := EndReasonText("solar_flare"); !strings.Contains(got, "solar_flare") {
		t.Errorf("unknown reason: %q", got)
	}
}

func TestChooseLanguage(t *testing.T) {
	for _, tc := range []struct {
		lcAll, lang, override string
		want                  Language
		note                  bool
	}{
		{lang: "ko_KR.UTF-8", want: Korean},
		{lang: "en_US.UTF-8", want: English},
		{lang: "de_DE.UTF-8", want: English},
		{lang: "C.UTF-8", want: Korean, note: true},
		{lang: "C", want: Korean, note: true},
		{lang: "", want: Korean, note: true},
		{lcAll: "en_GB.UTF-8", lang: "ko_KR.UTF-8", want: English},
		{lang: "ko_KR.UTF-8", override: "en", want: English},
		{lang: "en_US.UTF-8", override: "ko", want: Korean},
	} {
		t.Setenv("LC_ALL", tc.lcAll)
		t.Setenv("LC_MESSAGES", "")
		t.Setenv("LANG", tc.lang)
		t.Setenv("SVPN_LANG", "")
		c := ChooseLanguage(tc.override)
		if c.Lang != tc.want || (c.Note != "") != tc.note {
			t.Errorf("LC_ALL=%q LANG=%q override=%q: got %+v, want %s (note %v)", tc.lcAll, tc.lang, tc.override, c, tc.want, tc.note)
		}
	}
	t.Setenv("LANG", "ko_KR.UTF-8")
	t.Setenv("SVPN_LANG", "en")
	if c := ChooseLanguage(""); c.Lang != English {
		t.Errorf("SVPN_LANG=en: %+v", c)
	}
}

// TestSetupLanguage: the chosen table wins whatever locale Fyne sees, for
// the app's strings and for Fyne's own (entry menus, dialogs).
func TestSetupLanguage(t *testing.T) {
	if got := T("login.button"); got != "로그인" {
		t.Errorf("ko: %q", got)
	}
	if got := T("Cancel"); got != "취소" {
		t.Errorf("ko, Fyne's Cancel: %q", got)
	}
	withLanguage(t, English, func() {
		if got := T("login.button"); got != "Log in" {
			t.Errorf("en: %q", got)
		}
		if got := Tf("picker.days_left", map[string]any{"N": 3}); got != "(3 days left)" {
			t.Errorf("en template: %q", got)
		}
		if got := T("app.title"); !strings.Contains(got, "원격근무서비스") {
			t.Errorf("the English title must keep the product name: %q", got)
		}
	})
	if got := Tf("picker.days_left", map[string]any{"N": 3}); got != "(3일 남음)" {
		t.Errorf("ko template: %q", got)
	}
}
