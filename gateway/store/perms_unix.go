//go:build !windows

package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// sqliteFilesPrivate makes sure the SQLite database at path and the files
// SQLite keeps beside it (-wal, -shm, -journal) are readable and writable by
// the owner alone, whatever the process umask:
//
//   - an existing database or side file with any group or other permission
//     bit is refused (ErrInsecurePermissions, naming the file and the fix);
//   - a directory anyone may write to is refused: another user could plant
//     a -wal file, or swap the database;
//   - a new database file is created here with mode 0600 (set explicitly,
//     not through the umask) before SQLite opens it. SQLite creates -wal and
//     -shm with the mode of the database file, so they are 0600 too.
func sqliteFilesPrivate(path string) error {
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err == nil && fi.Mode().Perm()&0o002 != 0 {
		return fmt.Errorf("%w: directory %s of the database is writable by every user (mode %04o); move the database or run: chmod o-w %s",
			ErrInsecurePermissions, dir, fi.Mode().Perm(), dir)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("store: checking %s: %w", p, err)
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			return fmt.Errorf("%w: %s is accessible to group or others (mode %04o); run: chmod 600 %s",
				ErrInsecurePermissions, p, perm, p)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil // checked above, or another process just created it 0600
	}
	if err != nil {
		return fmt.Errorf("store: creating %s: %w", path, err)
	}
	err = f.Chmod(0o600) // the umask may have taken bits off (0177 → 0400)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("store: creating %s: %w", path, err)
	}
	return nil
}
