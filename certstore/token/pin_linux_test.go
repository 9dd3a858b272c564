package token

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/opensvpn/svpn/api"
)

// TestLoadPathPinned: a pinned module is loaded through the descriptor it
// was hashed from, so replacing the file after the check changes nothing;
// a file that differs already is refused.
func TestLoadPathPinned(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "vendor.so")
	good := []byte("the vendor's driver")
	if err := os.WriteFile(lib, good, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(good)
	mod := Module{Path: lib, SHA256: hex.EncodeToString(sum[:])}
	path, f, err := loadPath(mod)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// An attacker swaps the file in between.
	evil := filepath.Join(dir, "evil.so")
	os.WriteFile(evil, []byte("something else"), 0o644)
	if err := os.Rename(evil, lib); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, good) {
		t.Fatalf("%s reads %q, %v: not the file that was hashed", path, got, err)
	}
	if _, _, err := loadPath(mod); api.CodeOf(err) != api.CodeTokenModuleHash {
		t.Errorf("the swapped file: %v", err)
	}
	// Not pinned: loaded by its path.
	if p, f, err := loadPath(Module{Path: lib}); err != nil || f != nil || p != lib {
		t.Errorf("unpinned: %s %v %v", p, f, err)
	}
}
