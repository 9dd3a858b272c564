//go:build !linux

package ui

import "net/url"

// SystemOpener is nil where Fyne's own OpenURL reports failures itself.
func SystemOpener() func(*url.URL) error { return nil }
