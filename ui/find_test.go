package ui

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// findButton finds the button labelled text under o: in containers, forms,
// scrolls and the renderers of other widgets.
func findButton(o fyne.CanvasObject, text string) *widget.Button {
	switch v := o.(type) {
	case *widget.Button:
		if v.Text == text {
			return v
		}
	case *keyButton:
		if v.Text == text {
			return &v.Button
		}
	case *fyne.Container:
		for _, c := range v.Objects {
			if b := findButton(c, text); b != nil {
				return b
			}
		}
	case *widget.Form:
		for _, it := range v.Items {
			if b := findButton(it.Widget, text); b != nil {
				return b
			}
		}
	case *container.Scroll:
		return findButton(v.Content, text)
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(v).Objects() {
			if b := findButton(c, text); b != nil {
				return b
			}
		}
	}
	return nil
}

// showLogin shows the login window and waits until it has shown what
// svpnd said first: the watch, the profile and their updates run on other
// goroutines, and Fyne's test driver runs those updates where they are
// made, so typing before they are done would race them.
func showLogin(t *testing.T, x *Windows) fyne.Window {
	t.Helper()
	w := x.ShowLogin()
	lw := x.login
	eventually(t, 10*time.Second, "the login window's start (svpnd's status and profile)", lw.started.Load)
	return w
}
