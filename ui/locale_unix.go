//go:build !windows && !darwin

package ui

import "os"

// systemLocale returns the locale of the environment, as libc would pick
// it for messages: LC_ALL, then LC_MESSAGES, then LANG.
func systemLocale() string {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return ""
}
