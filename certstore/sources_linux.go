package certstore

import (
	"os"
	"os/user"
	"path/filepath"
)

// diskSources: ~/NPKI, as Korean signing software for Linux keeps it, and
// ~/GPKI/Certificate/class2.
func diskSources() []Source {
	home, err := os.UserHomeDir()
	if err != nil {
		return nil
	}
	return []Source{
		{Dir: filepath.Join(home, "NPKI"), Layout: LayoutNPKI, Location: LocationDisk},
		{Dir: filepath.Join(home, "GPKI", "Certificate", "class2"), Layout: LayoutGPKI, Location: LocationDisk},
	}
}

// removableRoots lists the mount points desktop environments use for USB
// drives: udisks2 mounts under /run/media/$USER (Fedora, Arch) or
// /media/$USER (Debian, Ubuntu).
func removableRoots() []string {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	if name == "" {
		return nil
	}
	var roots []string
	for _, base := range []string{"/media", "/run/media"} {
		entries, err := os.ReadDir(filepath.Join(base, name))
		if err != nil {
			continue
		}
		for _, e := range entries {
			if e.IsDir() {
				roots = append(roots, filepath.Join(base, name, e.Name()))
			}
		}
	}
	return roots
}
