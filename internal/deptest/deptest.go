// Package deptest holds each binary to what it may link, like Tailscale's
// tstest/deptest: a test in every cmd/… package lists the binary's
// dependencies with `go list -deps` for each target system and fails when
// one is forbidden, naming the import chain that brought it in.
//
// The rules are the architecture: the front ends (svpnctl, svpn) talk to
// svpnd over the local API and must not carry the daemon's engine and
// tunnel (wireguard-go, gVisor) or the gateway's code (argon2); svpnd and
// svpn-gateway carry no GUI. A new import that breaks one fails here, in
// the package whose binary grew, rather than as a silently bigger binary.
package deptest

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// Module is this repository's module path.
const Module = "github.com/opensvpn/svpn"

// Daemon is the code that runs only inside svpnd: the session engine, the
// tunnel (wireguard-go, gVisor netstack) and the local API's server. The
// front ends talk to it over the socket and link none of it.
var Daemon = []string{
	Module + "/client/engine",
	Module + "/client/daemon",
	Module + "/client/localapi",
	Module + "/tunnel/...",
	"gvisor.dev/...",
	"golang.zx2c4.com/wireguard/...",
}

// Gateway is the server's code, with the argon2 password hashing; no
// client binary links it.
var Gateway = []string{
	Module + "/gateway/...",
	"golang.org/x/crypto/argon2",
}

// GUI is the desktop app's: Fyne and the windows built with it.
var GUI = []string{
	Module + "/ui/...",
	"fyne.io/...",
}

// Token is the security token (PKCS#11) code: a module runs inside the
// process that loads it, so only the front ends, which sign, load one;
// svpnd and the server never do.
var Token = []string{
	Module + "/certstore/token",
	"github.com/miekg/pkcs11",
	"github.com/ThalesGroup/crypto11",
}

// Rule is what one binary may not link.
type Rule struct {
	// Pkg is the binary's package, as go list takes it ("." in its own test).
	Pkg string
	// GOOS are the systems to check (default linux, windows and darwin).
	GOOS []string
	// Cgo lists with CGO_ENABLED=1, as the binary is built (the desktop
	// app); otherwise 0. Listing needs no C compiler, so cgo packages of
	// other systems are listed too.
	Cgo bool
	// Forbidden are import paths the binary must not link. "p/..." forbids
	// p and every package under it; any other entry forbids exactly that
	// package.
	Forbidden []string
	// Required are packages the binary must link: a guard that the listing
	// is the binary's and not an empty or wrong one.
	Required []string
}

// Graph is a listing: every package the root links, with its imports.
type Graph struct {
	Root    string
	Imports map[string][]string
}

// List runs go list -deps for r.Pkg on goos.
func List(r Rule, goos string) (*Graph, error) {
	cgo := "0"
	if r.Cgo {
		cgo = "1"
	}
	cmd := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, r.Pkg)
	cmd.Env = append(os.Environ(), "GOOS="+goos, "CGO_ENABLED="+cgo)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("GOOS=%s CGO_ENABLED=%s go list -deps %s: %v\n%s", goos, cgo, r.Pkg, err, stderr.Bytes())
	}
	g := &Graph{Imports: map[string][]string{}}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		g.Imports[f[0]] = f[1:]
		g.Root = f[0] // -deps lists the root last
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(g.Imports) == 0 {
		return nil, fmt.Errorf("go list -deps %s listed nothing", r.Pkg)
	}
	return g, nil
}

// Matches reports whether pkg is forbidden by pattern.
func Matches(pattern, pkg string) bool {
	if p, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == p || strings.HasPrefix(pkg, p+"/")
	}
	return pkg == pattern
}

// Violations returns one line per forbidden package g links, with the
// chain of imports from the root to it, and one per required package it
// does not.
func Violations(g *Graph, r Rule) []string {
	var v []string
	for _, pkg := range g.sorted() {
		for _, f := range r.Forbidden {
			if Matches(f, pkg) {
				v = append(v, fmt.Sprintf("links %s (forbidden: %s) via %s", pkg, f, strings.Join(g.Path(pkg), " → ")))
				break
			}
		}
	}
	for _, pkg := range r.Required {
		if _, ok := g.Imports[pkg]; !ok {
			v = append(v, "does not link "+pkg+", which it must: is this the binary's listing?")
		}
	}
	return v
}

// Path returns a shortest chain of imports from the root to pkg.
func (g *Graph) Path(pkg string) []string {
	prev := map[string]string{g.Root: ""}
	queue := []string{g.Root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p == pkg {
			var path []string
			for ; p != ""; p = prev[p] {
				path = append([]string{p}, path...)
			}
			return path
		}
		for _, q := range g.Imports[p] {
			if _, seen := prev[q]; !seen {
				prev[q] = p
				queue = append(queue, q)
			}
		}
	}
	return []string{g.Root, "…", pkg}
}

func (g *Graph) sorted() []string { return slices.Sorted(maps.Keys(g.Imports)) }

// Check fails t for every violation of r on every system of r.GOOS.
func Check(t *testing.T, r Rule) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command to list dependencies with")
	}
	goos := r.GOOS
	if len(goos) == 0 {
		goos = []string{"linux", "windows", "darwin"}
	}
	for _, goos := range goos {
		t.Run(goos, func(t *testing.T) {
			t.Parallel()
			g, err := List(r, goos)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range Violations(g, r) {
				t.Errorf("%s on %s %s", g.Root, goos, v)
			}
			t.Logf("%s on %s links %d packages", g.Root, goos, len(g.Imports))
		})
	}
}
