package main

import (
	"slices"
	"testing"

	"github.com/opensvpn/svpn/internal/deptest"
)

// TestDeps: the load tool links no GUI and no daemon or tunnel code; it
// speaks to gateways through the client's gateway API package only.
func TestDeps(t *testing.T) {
	deptest.Check(t, deptest.Rule{
		Pkg: ".",
		Forbidden: slices.Concat(deptest.GUI, []string{deptest.Module + "/client/engine", deptest.Module + "/client/daemon",
			deptest.Module + "/tunnel/..."}),
		Required: []string{deptest.Module + "/internal/loadgen"},
	})
}
