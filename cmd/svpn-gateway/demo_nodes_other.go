//go:build !linux

package main

import "syscall"

// nodeProcAttr: elsewhere the demo stops its nodes when it stops; a demo
// killed outright leaves them to be stopped by hand.
func nodeProcAttr() *syscall.SysProcAttr { return nil }
