package deptest

import (
	"reflect"
	"strings"
	"testing"
)

func TestMatches(t *testing.T) {
	for _, tc := range []struct {
		pattern, pkg string
		want         bool
	}{
		{"gvisor.dev/...", "gvisor.dev/gvisor/pkg/tcpip", true},
		{"gvisor.dev/...", "gvisor.dev", true},
		{"gvisor.dev/...", "gvisor.devx/y", false},
		{Module + "/gateway/...", Module + "/gateway", true},
		{Module + "/gateway/...", Module + "/gateway/password", true},
		{Module + "/gateway/...", Module + "/gatewayx", false},
		{Module + "/client/engine", Module + "/client/engine", true},
		{Module + "/client/engine", Module + "/client/engine/sub", false},
		{"golang.org/x/crypto/argon2", "golang.org/x/crypto/blake2b", false},
	} {
		if got := Matches(tc.pattern, tc.pkg); got != tc.want {
			t.Errorf("Matches(%q, %q) = %v", tc.pattern, tc.pkg, got)
		}
	}
}

func TestViolationsNameTheChain(t *testing.T) {
	g := &Graph{Root: "cmd/x", Imports: map[string][]string{
		"cmd/x":                      {"fmt", "ui"},
		"ui":                         {"fmt", "gateway/password"},
		"gateway/password":           {"golang.org/x/crypto/argon2"},
		"golang.org/x/crypto/argon2": nil,
		"fmt":                        nil,
	}}
	if got, want := g.Path("golang.org/x/crypto/argon2"), []string{"cmd/x", "ui", "gateway/password", "golang.org/x/crypto/argon2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Path = %v, want %v", got, want)
	}
	v := Violations(g, Rule{Forbidden: []string{"golang.org/x/crypto/argon2", "gvisor.dev/..."}, Required: []string{"fmt", "api"}})
	if len(v) != 2 || !strings.Contains(v[0], "cmd/x → ui → gateway/password → golang.org/x/crypto/argon2") ||
		!strings.Contains(v[1], "does not link api") {
		t.Errorf("violations %q", v)
	}
}

// TestListCatchesTheDaemon: the listing is real and the rules bite. svpnd
// carries the tunnel, so holding it to the front ends' rule must fail.
func TestListCatchesTheDaemon(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	r := Rule{Pkg: Module + "/cmd/svpnd", Forbidden: Daemon}
	g, err := List(r, "linux")
	if err != nil {
		t.Fatal(err)
	}
	if g.Root != r.Pkg {
		t.Errorf("root %q, want %q", g.Root, r.Pkg)
	}
	v := Violations(g, r)
	if len(v) == 0 || !strings.Contains(strings.Join(v, "\n"), Module+"/tunnel") {
		t.Errorf("svpnd passes the front ends' rule: %q", v)
	}
}
