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
