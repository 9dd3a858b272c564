//go:build !linux && !darwin && !windows

package certstore

import (
	"os"
	"path/filepath"
)

func diskSources() []Source {
	home, err := os.UserHomeDir()
	if err != nil {
		return nil
	}
	return []Source{{Dir: filepath.Join(home, "NPKI"), Layout: LayoutNPKI, Location: LocationDisk}}
}

func removableRoots() []string { return nil }
