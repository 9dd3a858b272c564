package certstore

import (
	"os"
	"path/filepath"
)

// diskSources: ~/Library/Preferences/NPKI, where Korean signing software for
// macOS keeps certificates, and ~/Documents/NPKI used by some older products.
func diskSources() []Source {
	home, err := os.UserHomeDir()
	if err != nil {
		return nil
	}
	return []Source{
		{Dir: filepath.Join(home, "Library", "Preferences", "NPKI"), Layout: LayoutNPKI, Location: LocationDisk},
		{Dir: filepath.Join(home, "Documents", "NPKI"), Layout: LayoutNPKI, Location: LocationDisk},
		{Dir: filepath.Join(home, "GPKI", "Certificate", "class2"), Layout: LayoutGPKI, Location: LocationDisk},
	}
}

// removableRoots lists /Volumes/*, skipping the boot volume (a symlink to /).
func removableRoots() []string {
	entries, err := os.ReadDir("/Volumes")
	if err != nil {
		return nil
	}
	var roots []string
	for _, e := range entries {
		p := filepath.Join("/Volumes", e.Name())
		if target, err := filepath.EvalSymlinks(p); err == nil && target == "/" {
			continue
		}
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			roots = append(roots, p)
		}
	}
	return roots
}
