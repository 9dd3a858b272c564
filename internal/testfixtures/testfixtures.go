// Package testfixtures locates the shared certificate fixtures
// (../shared/fixtures beside the repository) for tests of every package.
package testfixtures

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the fixtures directory: $SVPN_FIXTURES, or the first
// shared/fixtures found walking up from the working directory. The fixtures
// are real certificate files the tests must read, so a missing directory
// fails the test rather than skipping it.
func Dir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("SVPN_FIXTURES"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		cand := filepath.Join(dir, "shared", "fixtures")
		if st, err := os.Stat(cand); err == nil && st.IsDir() {
			return cand
		}
		if filepath.Dir(dir) == dir {
			break
		}
	}
	t.Fatalf("shared/fixtures not found above %s; set SVPN_FIXTURES", wd)
	return ""
}

// Path returns a file under the fixtures directory.
func Path(t testing.TB, elem ...string) string {
	return filepath.Join(append([]string{Dir(t)}, elem...)...)
}

// Read returns the contents of a fixture file.
func Read(t testing.TB, elem ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(Path(t, elem...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// realNPKIFolder is the folder NPKI software gives the real yessign
// certificate: its subject from CN to C (the store never reads the name).
const realNPKIFolder = "cn=HKD(KILDONG.HONG)009104120200225191000030,ou=INITECH,ou=personal4IB,o=yessign,c=kr"

// CopyRealNPKI puts the real yessign test certificate (expired in 2020)
// on a simulated drive root the way NPKI software stores it, and returns
// the path of its signCert.der.
func CopyRealNPKI(t testing.TB, root string) string {
	t.Helper()
	d := filepath.Join(root, "NPKI", "yessign", "USER", realNPKIFolder)
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"signCert.der", "signPri.key"} {
		if err := os.WriteFile(filepath.Join(d, f), Read(t, "npki-real", f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(d, "signCert.der")
}
