package main

import "syscall"

// nodeProcAttr: a node outlives no demo that was killed.
func nodeProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
