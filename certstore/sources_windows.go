package certstore

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/windows"
)

// diskSources: %USERPROFILE%\AppData\LocalLow\NPKI (found through the
// known-folder API, which follows folder redirection), C:\Program Files\NPKI
// used by older products, and C:\GPKI\Certificate\class2.
func diskSources() []Source {
	var src []Source
	if dir, err := windows.KnownFolderPath(windows.FOLDERID_LocalAppDataLow, 0); err == nil {
		src = append(src, Source{Dir: filepath.Join(dir, "NPKI"), Layout: LayoutNPKI, Location: LocationDisk})
	}
	if dir, err := windows.KnownFolderPath(windows.FOLDERID_ProgramFiles, 0); err == nil {
		src = append(src, Source{Dir: filepath.Join(dir, "NPKI"), Layout: LayoutNPKI, Location: LocationDisk})
	}
	drive := os.Getenv("SystemDrive")
	if drive == "" {
		drive = "C:"
	}
	src = append(src, Source{Dir: drive + `\GPKI\Certificate\class2`, Layout: LayoutGPKI, Location: LocationDisk})
	return src
}

// removableRoots lists the drive letters of removable drives (USB sticks).
func removableRoots() []string {
	mask, err := windows.GetLogicalDrives()
	if err != nil {
		return nil
	}
	var roots []string
	for i := 0; i < 26; i++ {
		if mask&(1<<uint(i)) == 0 {
			continue
		}
		root := string(rune('A'+i)) + `:\`
		p, err := windows.UTF16PtrFromString(root)
		if err != nil {
			continue
		}
		if windows.GetDriveType(p) == windows.DRIVE_REMOVABLE {
			roots = append(roots, root)
		}
	}
	return roots
}
