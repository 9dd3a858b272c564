// Package p11fake builds, for tests, real PKCS#11 shared objects that
// misbehave the way broken token drivers do: C_Initialize hangs, or
// crashes the process that loads it. They are compiled from src/ with the
// system's gcc at test time (a cgo-free package: only the tests use it).
package p11fake

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

//go:embed src/fakemodule.c
var source []byte

// Behaviour is what the module's C_Initialize does.
type Behaviour int

const (
	Crash Behaviour = iota // abort(): the process dies of SIGABRT
	Hang                   // never returns
	Exit3                  // _exit(3): how abort() ends a process on Windows
)

func (b Behaviour) String() string {
	switch b {
	case Hang:
		return "hang"
	case Exit3:
		return "exit3"
	}
	return "crash"
}

// ErrNoCompiler: no C compiler to build the module with.
var ErrNoCompiler = errors.New("no C compiler: gcc is not installed (Debian package gcc; make deps installs it)")

// Build compiles the module into dir and returns its path. The PKCS#11
// headers are miekg/pkcs11's, found through the go command (run from
// inside the module, as tests are).
func Build(dir string, b Behaviour) (string, error) {
	cc, err := exec.LookPath("gcc")
	if err != nil {
		if cc, err = exec.LookPath("cc"); err != nil {
			return "", ErrNoCompiler
		}
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/miekg/pkcs11").Output()
	if err != nil {
		return "", fmt.Errorf("p11fake: the PKCS#11 headers of miekg/pkcs11: %w", err)
	}
	src := filepath.Join(dir, "fakemodule.c")
	if err := os.WriteFile(src, source, 0o600); err != nil {
		return "", err
	}
	lib := filepath.Join(dir, "fake-"+b.String()+".so")
	args := []string{"-shared", "-fPIC", "-o", lib, "-I", strings.TrimSpace(string(out)), src}
	switch b {
	case Hang:
		args = append([]string{"-DFAKE_HANG"}, args...)
	case Exit3:
		args = append([]string{"-DFAKE_EXIT3"}, args...)
	}
	if msg, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("p11fake: %s: %v\n%s", cc, err, msg)
	}
	return lib, nil
}
