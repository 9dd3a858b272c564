package main

import (
	"slices"
	"testing"

	"github.com/opensvpn/svpn/internal/deptest"
)

// TestDeps: the service links neither the gateway's code (argon2) nor the
// GUI, nor any PKCS#11 code: it never loads a token module, built with cgo
// or without.
func TestDeps(t *testing.T) {
	for _, cgo := range []bool{false, true} {
		deptest.Check(t, deptest.Rule{
			Pkg:       ".",
			Cgo:       cgo,
			Forbidden: slices.Concat(deptest.Gateway, deptest.GUI, deptest.Token),
			Required:  []string{deptest.Module + "/client/localapi", deptest.Module + "/tunnel"},
		})
	}
}
