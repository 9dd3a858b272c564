package main

import (
	"slices"
	"testing"

	"github.com/opensvpn/svpn/internal/deptest"
)

// TestDeps: svpnctl is a front end. It talks to svpnd through client/local
// and links neither the daemon (engine, tunnel, wireguard-go, gVisor), nor
// the gateway (argon2), nor the GUI.
func TestDeps(t *testing.T) {
	deptest.Check(t, deptest.Rule{
		Pkg:       ".",
		Forbidden: slices.Concat(deptest.Daemon, deptest.Gateway, deptest.GUI),
		Required:  []string{deptest.Module + "/client/local", deptest.Module + "/certstore/token"},
	})
}
