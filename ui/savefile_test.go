package ui

import (
	"context"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
)

// bundleDaemon writes a fixed bundle.
type bundleDaemon struct{ diagDaemon }

func (*bundleDaemon) Bundle(_ context.Context, w io.Writer) error {
	_, err := io.WriteString(w, "PK-bundle")
	return err
}

// TestSavePlaces: the user-dirs names (a Korean desktop's 다운로드), in
// the UI language, only those that exist, the home folder last.
func TestSavePlaces(t *testing.T) {
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, "다운로드"), 0o755)
	os.MkdirAll(filepath.Join(home, "Documents"), 0o755)
	os.MkdirAll(filepath.Join(home, ".config"), 0o755)
	os.WriteFile(filepath.Join(home, ".config", "user-dirs.dirs"), []byte(
		"# written by xdg-user-dirs-update\nXDG_DESKTOP_DIR=\"$HOME/바탕화면\"\nXDG_DOWNLOAD_DIR=\"$HOME/다운로드\"\nXDG_VIDEOS_DIR=\"$HOME/\"\n"), 0o644)
	got := savePlaces(home, func(string) string { return "" })
	var s []string
	for _, p := range got {
		s = append(s, p.Label+"="+strings.TrimPrefix(p.Dir, home))
	}
	if want := "문서=/Documents|다운로드=/다운로드|홈 폴더="; strings.Join(s, "|") != want {
		t.Errorf("places %s, want %s", strings.Join(s, "|"), want)
	}
}

// TestDiagnosticsSave: 저장 asks in Korean (no "Home", "Computer", no
// parent-folder row), from the keyboard: Enter saves the bundle into the
// chosen place as a file only the user can read; an existing name is said
// in the dialog; Escape in a field cancels (issue 17, items 5 and 9).
func TestDiagnosticsSave(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	os.MkdirAll(filepath.Join(home, "Downloads"), 0o755)
	a := test.NewTempApp(t)
	x := newTestWindows(t, a, Options{Daemon: &bundleDaemon{diagDaemon{diag: api.Diagnostics{}}},
		Sources: func() []certstore.Source { return nil }, OpenURL: func(*url.URL) error { return nil },
		Now: func() time.Time { return time.Date(2026, 11, 29, 9, 30, 0, 0, time.Local) }})
	w := x.ShowDiagnostics()
	t.Cleanup(func() { w.Close() })
	dw := x.diag
	dw.save()
	sd := dw.saving
	var texts []string
	for _, o := range test.LaidOutObjects(w.Canvas().Overlays().Top()) {
		switch v := o.(type) {
		case *widget.Label:
			texts = append(texts, v.Text)
		case *widget.Select:
			texts = append(texts, v.Options...)
		}
	}
	all := strings.Join(texts, "|")
	for _, english := range []string{"Home", "Computer", "Parent", "상위 폴더"} {
		if strings.Contains(all, english) {
			t.Errorf("the save dialog shows %q: %s", english, all)
		}
	}
	if sd.places.Selected != "다운로드" || sd.folder.Text != filepath.Join(home, "Downloads") {
		t.Errorf("place %q folder %q", sd.places.Selected, sd.folder.Text)
	}
	if w.Canvas().Focused() != sd.name {
		t.Errorf("focus on %v, want the file name", w.Canvas().Focused())
	}
	press(w, fyne.KeyReturn)
	path := filepath.Join(home, "Downloads", "svpn-diag-20261129-093000.zip")
	eventually(t, 5*time.Second, "the bundle", func() bool {
		b, err := os.ReadFile(path)
		return err == nil && string(b) == "PK-bundle"
	})
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("bundle mode %v, want 0600", st.Mode().Perm())
	}

	// Again with the same name: said in the dialog, which stays.
	dw.save()
	sd = dw.saving
	press(w, fyne.KeyReturn)
	if !sd.msg.Visible() || sd.msg.Text != T("save.exists") {
		t.Errorf("message %q", sd.msg.Text)
	}
	sd.folder.SetText(filepath.Join(home, "none"))
	press(w, fyne.KeyReturn)
	if sd.msg.Text != T("save.no_folder") {
		t.Errorf("message %q", sd.msg.Text)
	}
	press(w, fyne.KeyEscape)
	if len(w.Canvas().Overlays().List()) != 0 {
		t.Error("Escape in the file name did not close the dialog")
	}
}
