//go:build !linux

package token

import "os"

// loadPath checks a pinned module's SHA-256 again right before loading it
// by its path (no portable way to load a library through an open file
// here: the window between the check and the load stays, as short as it
// can be).
func loadPath(mod Module) (string, *os.File, error) {
	if mod.SHA256 == "" {
		return mod.Path, nil, nil
	}
	f, err := os.Open(mod.Path)
	if err != nil {
		return "", nil, moduleFileError(mod, err)
	}
	defer f.Close()
	if err := checkHash(mod, f); err != nil {
		return "", nil, err
	}
	return mod.Path, nil, nil
}

const childLoadPath = ""
