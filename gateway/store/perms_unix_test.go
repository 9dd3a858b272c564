//go:build !windows

package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Under umask 0 a new database and the -wal and -shm files SQLite creates
// beside it are still 0600. Not parallel: the umask is the process's.
func TestSQLiteFilesPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gateway.db") // 0700: before the umask changes
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	s, err := Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// A write and a read through the second pool: WAL and its shared
	// memory exist now.
	addUsers(t, s, "hong")
	if _, err := s.GetUser(context.Background(), "hong"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s: mode %04o under umask 0, want 0600", filepath.Base(p), perm)
		}
	}
	s.Close()
	// A database it created opens again.
	s2, err := Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatalf("reopening: %v", err)
	}
	s2.Close()
}

// Under a umask that takes the owner's write bit the new database is still
// 0600, not 0400.
func TestSQLiteFilesPrivateStrictUmask(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gateway.db")
	old := syscall.Umask(0o277)
	defer syscall.Umask(old)
	s, err := Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode under umask 0277: %v, %v; want 0600", fi.Mode(), err)
	}
}

// An existing database or side file that group or others may read or write,
// or a directory anyone may write to, is refused with the path and the fix.
func TestSQLiteRefusesOpenPermissions(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name  string
		files map[string]os.FileMode // suffix of the database path → mode
		dir   os.FileMode            // 0: leave t.TempDir's 0700
		bad   string                 // suffix of the path named, or "dir"
		fix   string
	}{
		{"db 0644", map[string]os.FileMode{"": 0o644}, 0, "", "chmod 600 "},
		{"db 0640", map[string]os.FileMode{"": 0o640}, 0, "", "chmod 600 "},
		{"db 0602", map[string]os.FileMode{"": 0o602}, 0, "", "chmod 600 "},
		{"db 0604", map[string]os.FileMode{"": 0o604}, 0, "", "chmod 600 "},
		{"wal 0644", map[string]os.FileMode{"": 0o600, "-wal": 0o644}, 0, "-wal", "chmod 600 "},
		{"shm 0660", map[string]os.FileMode{"": 0o600, "-shm": 0o660}, 0, "-shm", "chmod 600 "},
		{"journal 0644", map[string]os.FileMode{"": 0o600, "-journal": 0o644}, 0, "-journal", "chmod 600 "},
		{"directory 0777", nil, 0o777, "dir", "chmod o-w "},
		{"directory 1777 (sticky)", nil, 0o777 | os.ModeSticky, "dir", "chmod o-w "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "gateway.db")
			for suffix, mode := range tc.files {
				if err := os.WriteFile(db+suffix, nil, 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(db+suffix, mode); err != nil { // not through the umask
					t.Fatal(err)
				}
			}
			if tc.dir != 0 {
				if err := os.Chmod(dir, tc.dir); err != nil {
					t.Fatal(err)
				}
			}
			culprit := db + tc.bad
			if tc.bad == "dir" {
				culprit = dir
			}
			s, err := Open(ctx, "sqlite:"+db)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !errors.Is(err, ErrInsecurePermissions) || !strings.Contains(err.Error(), tc.fix+culprit) {
				t.Errorf("Open = %v; want ErrInsecurePermissions with %q", err, tc.fix+culprit)
			}
			if _, ok := tc.files["-wal"]; !ok {
				if _, err := os.Stat(db + "-wal"); err == nil {
					t.Error("SQLite opened the refused database")
				}
			}
			// Fixed as the message says, it opens.
			if tc.bad == "dir" {
				os.Chmod(dir, 0o755)
			} else {
				os.Chmod(culprit, 0o600)
			}
			s, err = Open(ctx, "sqlite:"+db)
			if err != nil {
				t.Fatalf("after the fix: %v", err)
			}
			s.Close()
		})
	}
}
