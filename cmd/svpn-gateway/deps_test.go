package main

import (
	"slices"
	"testing"

	"github.com/opensvpn/svpn/internal/deptest"
)

// TestDeps: the server links no GUI and none of the client's packages
// (its WireGuard is gateway/wgdevice, not the client's tunnel).
func TestDeps(t *testing.T) {
	deptest.Check(t, deptest.Rule{
		Pkg: ".",
		Forbidden: slices.Concat(deptest.GUI, deptest.Token, []string{deptest.Module + "/client/...", deptest.Module + "/tunnel/...",
			deptest.Module + "/mobileid/phone"}), // the wallet simulator's side
		Required: []string{deptest.Module + "/gateway"},
	})
}
