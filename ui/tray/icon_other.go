//go:build !windows

package tray

// osIcon: the tray takes PNG as it is everywhere but Windows.
func osIcon(png []byte) []byte { return png }
