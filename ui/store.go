package ui

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
)

// Store keeps the few facts the app remembers between runs (the last ID,
// the last certificate's public facts, the helpdesk line). Fyne's
// preferences are one file per app, rewritten in place (truncated, then
// written) and watched by every process of the app: a window process
// reading it mid-write logged "Preferences load error: EOF", and two
// processes writing different keys lost one of them.
type Store interface {
	String(key string) string
	SetString(key, value string)
}

// FileStore keeps each key in a file of its own under a directory, written
// whole to a temporary file and renamed over the old one: a reader sees
// the old value or the new one, never half of one, and processes writing
// different keys never meet. Files are the user's alone (0600).
type FileStore struct {
	Dir string
	// Fallback answers keys never written here (the Fyne preferences of
	// an earlier version), or nil.
	Fallback Store
}

var _ Store = (*FileStore)(nil)

// storeKey is what a key may look like: it names a file.
var storeKey = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

func (s *FileStore) String(key string) string {
	if !storeKey.MatchString(key) {
		return ""
	}
	b, err := os.ReadFile(filepath.Join(s.Dir, key))
	if err != nil {
		if os.IsNotExist(err) && s.Fallback != nil {
			return s.Fallback.String(key)
		}
		return ""
	}
	return string(b)
}

// SetString writes key; a failure (a read-only home) only costs the
// memory of it, so it is logged nowhere the user would have to read.
func (s *FileStore) SetString(key, value string) {
	if !storeKey.MatchString(key) || os.MkdirAll(s.Dir, 0o700) != nil {
		return
	}
	f, err := os.CreateTemp(s.Dir, "."+key+".*")
	if err != nil {
		return
	}
	_, err = f.WriteString(value)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(s.Dir, key))
	}
	if err != nil {
		os.Remove(f.Name())
	}
}

// prefs is where the windows remember things: Options.Store, else the
// app's Fyne preferences (tests: in memory).
func (x *Windows) prefs() Store {
	if x.o.Store != nil {
		return x.o.Store
	}
	return x.fa.Preferences()
}

// LegacyPrefs reads (never writes) the Fyne preferences file where an
// earlier version kept what FileStore keeps now: a FileStore's Fallback.
type LegacyPrefs struct{ Path string }

func (l LegacyPrefs) String(key string) string {
	b, err := os.ReadFile(l.Path)
	if err != nil {
		return ""
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return ""
	}
	s, _ := m[key].(string)
	return s
}

// SetString does nothing: the file is Fyne's.
func (LegacyPrefs) SetString(string, string) {}
