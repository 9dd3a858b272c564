//go:build !linux

package tray

import "net/url"

// systemOpener: Fyne's OpenURL is used as it is.
func systemOpener() func(*url.URL) error { return nil }
