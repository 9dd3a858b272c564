package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// keyButton is a button for keyboard-only use. Fyne gives a key to the
// focused widget alone, and its Button answers only Space: Enter on a
// focused button did nothing, and Escape never reached the window's own
// handler (which Fyne calls only when nothing has the focus). keyButton
// presses on Enter as on Space and passes Escape on to onEscape.
type keyButton struct {
	widget.Button
	onEscape func()
}

func newKeyButton(label string, icon fyne.Resource, tapped func()) *keyButton {
	b := &keyButton{}
	b.Text, b.Icon, b.OnTapped = label, icon, tapped
	b.ExtendBaseWidget(b)
	return b
}

func (b *keyButton) TypedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyReturn, fyne.KeyEnter:
		if !b.Disabled() && b.OnTapped != nil {
			b.OnTapped()
		}
	case fyne.KeyEscape:
		if b.onEscape != nil {
			b.onEscape()
		}
	default:
		b.Button.TypedKey(k)
	}
}

// escapeCloses makes Escape close w wherever the focus is: on the window
// (nothing focused) and on each keyButton given.
func escapeCloses(w fyne.Window, bs ...*keyButton) {
	for _, b := range bs {
		b.onEscape = w.Close
	}
	w.Canvas().SetOnTypedKey(func(k *fyne.KeyEvent) {
		if k.Name == fyne.KeyEscape {
			w.Close()
		}
	})
}

// keyEntry is an entry that passes Escape on to onEscape (Fyne's Entry
// keeps it), so that a dialog with a text field closes with Escape from
// the field too.
type keyEntry struct {
	widget.Entry
	onEscape func()
}

func newKeyEntry() *keyEntry {
	e := &keyEntry{}
	e.ExtendBaseWidget(e)
	return e
}

func (e *keyEntry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape && e.onEscape != nil {
		e.onEscape()
		return
	}
	e.Entry.TypedKey(k)
}
