package ui

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"fyne.io/fyne/v2/test"
)

// TestFileStore: values survive, each key is a file only the user reads,
// a reader never sees a half-written value while another writer replaces
// it, keys that are not plain names are refused, and what was never
// written comes from the fallback (an earlier version's preferences).
func TestFileStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "svpn")
	old := test.NewTempApp(t).Preferences()
	old.SetString("last_user_id", "kim01")
	s := &FileStore{Dir: dir, Fallback: old}
	if got := s.String("last_user_id"); got != "kim01" {
		t.Errorf("fallback %q", got)
	}
	s.SetString("last_user_id", "lee02")
	if got := (&FileStore{Dir: dir}).String("last_user_id"); got != "lee02" {
		t.Errorf("read back %q", got)
	}
	if st, err := os.Stat(filepath.Join(dir, "last_user_id")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("file %v %v", st, err)
	}
	for _, bad := range []string{"../x", "a/b", "", "X"} {
		s.SetString(bad, "v")
		if s.String(bad) != "" {
			t.Errorf("key %q accepted", bad)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "x")); err == nil {
		t.Error("a key wrote outside the directory")
	}

	legacy := filepath.Join(t.TempDir(), "preferences.json")
	os.WriteFile(legacy, []byte(`{"last_user_id":"park03","n":1}`), 0o600)
	s2 := &FileStore{Dir: filepath.Join(t.TempDir(), "svpn"), Fallback: LegacyPrefs{Path: legacy}}
	if got := s2.String("last_user_id"); got != "park03" {
		t.Errorf("legacy %q", got)
	}
	s2.SetString("last_user_id", "choi04")
	if b, _ := os.ReadFile(legacy); string(b) != `{"last_user_id":"park03","n":1}` {
		t.Errorf("the legacy file was written: %s", b)
	}

	// Concurrent writers and a reader: only whole values are seen.
	a, b := string(make([]byte, 64<<10)), "short"
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for _, v := range []string{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				s.SetString("helpdesk", v)
			}
		}()
	}
	go func() { wg.Wait(); close(stop) }()
	for {
		select {
		case <-stop:
			return
		default:
		}
		if got := (&FileStore{Dir: dir}).String("helpdesk"); got != "" && got != a && got != b {
			t.Fatalf("a reader saw %d bytes", len(got))
		}
	}
}
