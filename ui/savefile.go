package ui

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// savePlace is a folder the save dialog offers.
type savePlace struct {
	Label string // in the UI language
	Dir   string
}

// savePlaces are the folders a person saves to, those that exist: the
// desktop, documents and downloads as the desktop names them
// (XDG user-dirs), and the home folder. Fyne's own file dialog labels its
// places in English ("Home", "Computer") with no way to translate them,
// shows "(상위 폴더)" split over two lines, and logs, for every XDG folder
// the system does not define, "this computer does not define a VIDEOS
// folder".
func savePlaces(home string, env func(string) string) []savePlace {
	if home == "" {
		return nil
	}
	dirs := userDirs(home, env)
	var out []savePlace
	seen := map[string]bool{}
	for _, p := range []struct{ key, def, label string }{
		{"XDG_DESKTOP_DIR", "Desktop", T("save.desktop")},
		{"XDG_DOCUMENTS_DIR", "Documents", T("save.documents")},
		{"XDG_DOWNLOAD_DIR", "Downloads", T("save.downloads")},
	} {
		dir := dirs[p.key]
		if dir == "" {
			dir = filepath.Join(home, p.def)
		}
		if st, err := os.Stat(dir); err == nil && st.IsDir() && !seen[dir] && filepath.Clean(dir) != filepath.Clean(home) {
			seen[dir] = true
			out = append(out, savePlace{p.label, dir})
		}
	}
	return append(out, savePlace{T("save.home"), home})
}

// userDirs reads the XDG user-dirs file ($XDG_CONFIG_HOME/user-dirs.dirs):
// lines like XDG_DOWNLOAD_DIR="$HOME/다운로드".
func userDirs(home string, env func(string) string) map[string]string {
	cfg := env("XDG_CONFIG_HOME")
	if cfg == "" {
		cfg = filepath.Join(home, ".config")
	}
	out := map[string]string{}
	f, err := os.Open(filepath.Join(cfg, "user-dirs.dirs"))
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok || !strings.HasPrefix(k, "XDG_") || strings.HasPrefix(k, "#") {
			continue
		}
		v = strings.Trim(v, `"`)
		if rest, ok := strings.CutPrefix(v, "$HOME"); ok {
			v = home + rest
		}
		if filepath.IsAbs(v) {
			out[k] = filepath.Clean(v)
		}
	}
	return out
}

// saveDialog asks where to save a file named name, in the UI language and
// from the keyboard alone (Tab between the fields, Enter saves, Escape
// cancels), and calls save with the chosen path. A failed save is said in
// the dialog, which stays open to choose another folder.
type saveDialog struct {
	d      *dialog.CustomDialog
	places *widget.Select
	folder *keyEntry
	name   *keyEntry
	msg    *widget.Label
	save   func(path string) error
}

func showSaveDialog(w fyne.Window, title, name string, places []savePlace, save func(path string) error) *saveDialog {
	sd := &saveDialog{save: save}
	labels := make([]string, len(places))
	for i, p := range places {
		labels[i] = p.Label
	}
	sd.folder = newKeyEntry()
	sd.places = widget.NewSelect(labels, func(l string) {
		for _, p := range places {
			if p.Label == l {
				sd.folder.SetText(p.Dir)
			}
		}
	})
	sd.name = newKeyEntry()
	sd.name.SetText(name)
	sd.msg = wrapped("")
	sd.msg.Importance = widget.DangerImportance
	sd.msg.Hide()
	ok := newKeyButton(T("diag.save"), theme.DocumentSaveIcon(), sd.submit)
	ok.Importance = widget.HighImportance
	cancel := newKeyButton(T("common.cancel"), theme.CancelIcon(), nil)
	sd.folder.OnSubmitted = func(string) { sd.submit() }
	sd.name.OnSubmitted = func(string) { sd.submit() }
	form := widget.NewForm(
		widget.NewFormItem(T("save.place"), sd.places),
		widget.NewFormItem(T("save.folder"), sd.folder),
		widget.NewFormItem(T("save.name"), sd.name),
	)
	sd.d = dialog.NewCustomWithoutButtons(title, container.NewVBox(form, sd.msg), w)
	sd.d.SetButtons([]fyne.CanvasObject{cancel, ok})
	cancel.OnTapped = sd.d.Hide
	ok.onEscape, cancel.onEscape, sd.folder.onEscape, sd.name.onEscape = sd.d.Hide, sd.d.Hide, sd.d.Hide, sd.d.Hide
	if len(labels) > 0 {
		sd.places.SetSelected(labels[0])
	}
	sd.d.Resize(fyne.NewSize(520, 0))
	sd.d.Show()
	w.Canvas().Focus(sd.name)
	return sd
}

// errNoFolder: the folder typed does not exist.
var errNoFolder = errors.New("no such folder")

func (sd *saveDialog) submit() {
	dir, name := strings.TrimSpace(sd.folder.Text), strings.TrimSpace(sd.name.Text)
	var err error
	switch st, serr := os.Stat(dir); {
	case name == "" || strings.ContainsRune(name, os.PathSeparator):
		err = errors.New(T("save.bad_name"))
	case serr != nil || !st.IsDir():
		err = errNoFolder
	default:
		err = sd.save(filepath.Join(dir, name))
	}
	if err == nil {
		sd.d.Hide()
		return
	}
	switch {
	case errors.Is(err, errNoFolder):
		sd.msg.SetText(T("save.no_folder"))
	case errors.Is(err, os.ErrExist):
		sd.msg.SetText(T("save.exists"))
	case errors.Is(err, os.ErrPermission):
		sd.msg.SetText(T("save.denied"))
	default:
		sd.msg.SetText(T("save.failed"))
	}
	sd.msg.Show()
}
