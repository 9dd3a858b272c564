//go:build !linux

package firewall

import "syscall"

// MarkControl: socket marks are Linux's; nil elsewhere.
func MarkControl(mark uint32) func(network, address string, c syscall.RawConn) error { return nil }
