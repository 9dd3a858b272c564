package main

import (
	"strings"
	"testing"

	"github.com/opensvpn/svpn/certstore/token"
)

// TestCertsListTokenSupport: a build without token support says so with
// its number instead of listing no token silently; one with it does not.
// (Run both ways: go test and CGO_ENABLED=0 go test.)
func TestCertsListTokenSupport(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	t.Setenv("SOFTHSM2_CONF", t.TempDir()+"/none.conf")
	for _, args := range [][]string{{"certs", "list"}, {"certs", "list", "--json"}} {
		code, out, stderr := runCLI(t, "", append([]string{"--socket", t.TempDir() + "/none.sock"}, args...)...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		said := strings.Contains(stderr, "E-250 ") && strings.Contains(stderr, "no security token (PKCS#11) support")
		if said == token.Supported() {
			t.Errorf("%v: token support %v, stderr:\n%s", args, token.Supported(), stderr)
		}
		if strings.Contains(out, "E-250") {
			t.Errorf("%v: the warning went to stdout: %s", args, out)
		}
	}
}
