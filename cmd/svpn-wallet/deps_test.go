package main

import (
	"slices"
	"testing"

	"github.com/opensvpn/svpn/internal/deptest"
)

// TestDeps: the wallet simulator is a phone: it links none of the gateway,
// the daemon or the GUI, only the public formats and its HTTPS client.
func TestDeps(t *testing.T) {
	deptest.Check(t, deptest.Rule{
		Pkg:       ".",
		Forbidden: slices.Concat(deptest.Daemon, deptest.GUI, []string{deptest.Module + "/gateway/...", deptest.Module + "/client/..."}),
		Required:  []string{deptest.Module + "/mobileid/phone"},
	})
}
