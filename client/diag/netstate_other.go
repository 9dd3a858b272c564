//go:build !linux && !windows && !darwin

package diag

// NetworkCommands: nothing known on this OS.
func NetworkCommands() []Command { return nil }
