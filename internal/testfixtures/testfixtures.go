// Package testfixtures gives tests of every package the certificate
// fixtures kept in this repository under internal/testfixtures/testdata
// (each set with a README stating its origin and licence).
package testfixtures

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

const modulePath = "github.com/opensvpn/svpn"

// Dir returns the fixtures directory, internal/testfixtures/testdata in the
// module that holds the running test: found from this source file, or (in a
// -trimpath build) by walking up from the working directory, which go test
// sets to the package's directory, to the module's go.mod. The fixtures are
// real certificate files the tests must read, so a missing directory fails
// the test rather than skipping it.
func Dir(t testing.TB) string {
	t.Helper()
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		d := filepath.Join(filepath.Dir(file), "testdata")
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if gomod, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil {
			if bytes.HasPrefix(gomod, []byte("module "+modulePath+"\n")) {
				return filepath.Join(dir, "internal", "testfixtures", "testdata")
			}
		}
		if filepath.Dir(dir) == dir {
			break
		}
	}
	t.Fatalf("testfixtures: no go.mod of %s above %s", modulePath, wd)
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
