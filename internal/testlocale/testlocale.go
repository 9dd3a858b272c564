// Package testlocale gives Fyne a language it can parse when tests run
// under the C locale (LANG=C.UTF-8, as on CI). Fyne reads the locale
// "C" there, logs "Error parsing user locale C" from its lang package's
// init and at every lookup, and falls back to English anyway; LANGUAGE,
// which it prefers for every locale but plain C/POSIX, names English
// outright. Tests of Fyne code import it for its side effect:
//
//	import _ "github.com/opensvpn/svpn/internal/testlocale"
//
// It must act before fyne.io/fyne/v2/lang initialises, so it does so in
// init and imports only os and strings: Go initialises, in import path
// order, the first package whose imports are ready, and this one is ready
// (and sorts first) long before golang.org/x/text/language, which Fyne's
// lang package needs. The programs themselves set the language their own way
// (cmd/svpn); this is for tests only.
package testlocale

import (
	"os"
	"strings"
)

func init() {
	if os.Getenv("LANGUAGE") != "" {
		return
	}
	loc := ""
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if loc = os.Getenv(k); loc != "" {
			break
		}
	}
	if u := strings.ToUpper(loc); u == "" || u == "C" || u == "POSIX" || strings.HasPrefix(u, "C.") {
		os.Setenv("LANGUAGE", "en")
	}
}
