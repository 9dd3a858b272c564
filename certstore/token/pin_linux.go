package token

import (
	"fmt"
	"os"
)

// loadPath opens a module for loading. Where the policy pins its SHA-256,
// the file is opened once, hashed through that descriptor and loaded
// through it (/proc/self/fd/N), so a file swapped in after the check
// (a rename in a folder the user can write) is never the one loaded. The
// file stays open while the module is loaded: the dynamic loader knows a
// library by that name, which must not come to mean another file.
func loadPath(mod Module) (string, *os.File, error) {
	if mod.SHA256 == "" {
		return mod.Path, nil, nil
	}
	f, err := os.Open(mod.Path)
	if err != nil {
		return "", nil, moduleFileError(mod, err)
	}
	if err := checkHash(mod, f); err != nil {
		f.Close()
		return "", nil, err
	}
	return fmt.Sprintf("/proc/self/fd/%d", f.Fd()), f, nil
}

// childLoadPath is where a child process started with f as its first
// extra file finds it.
const childLoadPath = "/proc/self/fd/3"
