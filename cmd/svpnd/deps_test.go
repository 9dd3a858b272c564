package main

import (
	"slices"
	"testing"

	"github.com/opensvpn/svpn/internal/deptest"
)

// TestDeps: the service links neither the gateway's code (argon2) nor the
// GUI.
func TestDeps(t *testing.T) {
	deptest.Check(t, deptest.Rule{
		Pkg:       ".",
		Forbidden: slices.Concat(deptest.Gateway, deptest.GUI),
		Required:  []string{deptest.Module + "/client/localapi", deptest.Module + "/tunnel"},
	})
}
