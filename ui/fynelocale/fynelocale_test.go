package fynelocale

import (
	"os"
	"testing"
)

func TestApply(t *testing.T) {
	for _, tc := range []struct {
		lang, language string
		changed        bool
	}{
		{"C.UTF-8", "", true}, {"C", "", true}, {"", "", true}, {"POSIX", "", true},
		{"ko_KR.UTF-8", "", false}, {"C.UTF-8", "ko", false},
	} {
		t.Setenv("LC_ALL", "")
		t.Setenv("LC_MESSAGES", "")
		t.Setenv("LANG", tc.lang)
		t.Setenv("LANGUAGE", tc.language)
		t.Setenv(userLanguageEnv, "x")
		os.Unsetenv(userLanguageEnv)
		if got := Apply(); got != tc.changed {
			t.Errorf("LANG=%q LANGUAGE=%q: changed %v", tc.lang, tc.language, got)
		}
		_, kept := os.LookupEnv(userLanguageEnv)
		if tc.changed && (os.Getenv("LANGUAGE") != "en" || !kept) {
			t.Errorf("LANG=%q: LANGUAGE %q, user's kept %v", tc.lang, os.Getenv("LANGUAGE"), kept)
		}
		if !tc.changed && os.Getenv("LANGUAGE") != tc.language {
			t.Errorf("LANG=%q: LANGUAGE changed to %q", tc.lang, os.Getenv("LANGUAGE"))
		}
	}
}
