//go:build windows || darwin

package ui

import (
	"os"

	"fyne.io/fyne/v2/lang"
)

// systemLocale returns the user's language as the OS reports it (a Finder
// or Explorer launch has no LANG), unless the environment sets one.
func systemLocale() string {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return lang.SystemLocale().String()
}
