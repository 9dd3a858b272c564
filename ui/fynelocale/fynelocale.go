// Package fynelocale gives Fyne a locale it can parse when the system's is
// C.UTF-8 (containers, minimal desktops, ssh sessions): Fyne then logs
// "Error parsing user locale C" at start and at every font lookup. Fyne
// prefers LANGUAGE to LANG for every locale but plain C/POSIX, so naming
// English there quiets it; the UI language is the app's own choice
// (ui.ChooseLanguage reads --lang, LC_* and LANG, never LANGUAGE). The
// user's LANGUAGE is kept in SVPN_USER_LANGUAGE for the browser the app
// starts (ui.SystemOpener gives it back).
//
// cmd/svpn imports it for its side effect, which must happen before
// fyne.io/fyne/v2/lang initialises: it imports only os and strings, so Go
// initialises it, in import path order, long before
// golang.org/x/text/language, which Fyne's lang package needs.
package fynelocale

import (
	"os"
	"strings"
)

// userLanguageEnv is ui.UserLanguageEnv (this package cannot import ui).
const userLanguageEnv = "SVPN_USER_LANGUAGE"

func init() { Apply() }

// Apply sets LANGUAGE=en when the locale is C, POSIX or unset and LANGUAGE
// is not set, remembering the user's (empty) LANGUAGE. It reports whether
// it changed anything.
func Apply() bool {
	if os.Getenv("LANGUAGE") != "" {
		return false
	}
	loc := ""
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if loc = os.Getenv(k); loc != "" {
			break
		}
	}
	if u := strings.ToUpper(loc); u == "" || u == "C" || u == "POSIX" || strings.HasPrefix(u, "C.") || strings.HasPrefix(u, "POSIX.") {
		if _, ok := os.LookupEnv(userLanguageEnv); !ok {
			os.Setenv(userLanguageEnv, "")
		}
		os.Setenv("LANGUAGE", "en")
		return true
	}
	return false
}
