package main

import (
	"slices"
	"testing"

	"github.com/opensvpn/svpn/internal/deptest"
)

// TestDeps: the desktop app is a front end. It talks to svpnd through
// client/local and links neither the daemon (engine, tunnel, wireguard-go,
// gVisor) nor the gateway (argon2: the password checklist uses
// api/passwordrules). It is built with cgo; listing needs no C compiler,
// so all three systems are checked.
func TestDeps(t *testing.T) {
	deptest.Check(t, deptest.Rule{
		Pkg:       ".",
		Cgo:       true,
		Forbidden: slices.Concat(deptest.Daemon, deptest.Gateway),
		Required:  []string{deptest.Module + "/client/local", deptest.Module + "/ui"},
	})
}
