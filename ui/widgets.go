package ui

import (
	"context"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/opensvpn/svpn/api"
)

// onMain runs f on Fyne's goroutine unless ctx ended (its window closed).
func (x *Windows) onMain(ctx context.Context, f func()) {
	if ctx.Err() != nil {
		return
	}
	x.do(func() {
		if ctx.Err() == nil {
			f()
		}
	})
}

// secretEntry is a password field that guesses the Caps Lock state, which
// Fyne does not expose: a letter typed in upper case without Shift (or in
// lower case with it) means Caps Lock is on; the Caps Lock key flips a
// known state.
type secretEntry struct {
	widget.Entry
	shift    bool
	caps     int // -1 unknown, 0 off, 1 on
	onCaps   func(on bool)
	onEscape func()
}

func newSecretEntry() *secretEntry {
	e := &secretEntry{caps: -1}
	e.Password = true
	e.Wrapping = fyne.TextWrap(fyne.TextTruncateClip)
	e.ExtendBaseWidget(e)
	return e
}

// capsFromRune infers Caps Lock from a typed letter and the Shift state.
// known is false for anything but a cased letter.
func capsFromRune(r rune, shift bool) (on, known bool) {
	if !unicode.IsLetter(r) || unicode.ToUpper(r) == unicode.ToLower(r) {
		return false, false
	}
	return unicode.IsUpper(r) != shift, true
}

func (e *secretEntry) setCaps(on bool) {
	v := 0
	if on {
		v = 1
	}
	if v == e.caps {
		return
	}
	e.caps = v
	if e.onCaps != nil {
		e.onCaps(on)
	}
}

func (e *secretEntry) KeyDown(k *fyne.KeyEvent) {
	switch k.Name {
	case desktop.KeyShiftLeft, desktop.KeyShiftRight:
		e.shift = true
	case desktop.KeyCapsLock:
		if e.caps >= 0 {
			e.setCaps(e.caps == 0)
		}
	}
	e.Entry.KeyDown(k)
}

func (e *secretEntry) KeyUp(k *fyne.KeyEvent) {
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		e.shift = false
	}
	e.Entry.KeyUp(k)
}

// TypedKey gives Escape to the window (cancel); the entry has no use for it.
func (e *secretEntry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape && e.onEscape != nil {
		e.onEscape()
		return
	}
	e.Entry.TypedKey(k)
}

func (e *secretEntry) TypedRune(r rune) {
	if on, known := capsFromRune(r, e.shift); known {
		e.setCaps(on)
	}
	e.Entry.TypedRune(r)
}

// problemView shows one error: its number and what to do, and for some a
// link (the antivirus installer) or the helpdesk line.
type problemView struct {
	box   *fyne.Container
	icon  *widget.Icon
	label *widget.Label
	link  *widget.Hyperlink
	extra *widget.Label
	open  func(*url.URL)
	shown *Problem
	// onChange is told when the view appeared, went or changed: its
	// window fits its height to it, shrinking too (the login window grew
	// with each error and never gave the space back).
	onChange func()
}

func newProblemView(open func(*url.URL)) *problemView {
	v := &problemView{open: open}
	v.icon = widget.NewIcon(theme.NewErrorThemedResource(theme.ErrorIcon()))
	v.label = widget.NewLabel("")
	v.label.Wrapping = fyne.TextWrapWord
	v.label.Importance = widget.DangerImportance
	v.link = widget.NewHyperlink("", nil)
	v.link.OnTapped = func() {
		if v.link.URL != nil && v.open != nil {
			v.open(v.link.URL)
		}
	}
	v.link.Hide()
	v.extra = widget.NewLabel("")
	v.extra.Wrapping = fyne.TextWrapWord
	v.extra.SizeName = theme.SizeNameCaptionText
	v.extra.Hide()
	v.box = container.NewBorder(nil, nil, container.NewVBox(v.icon), nil,
		container.NewVBox(v.label, v.link, v.extra))
	v.box.Hide()
	return v
}

// Set shows p (nil hides the view). helpdesk is shown under errors the
// helpdesk must solve (a locked account).
func (v *problemView) Set(p *Problem, helpdesk string) {
	was, wasText := v.box.Visible(), v.label.Text
	defer func() {
		if v.onChange != nil && (was != v.box.Visible() || wasText != v.label.Text) {
			v.onChange()
		}
	}()
	v.shown = p
	if p == nil {
		v.box.Hide()
		return
	}
	v.label.SetText(keepTogether(p.String()))
	v.link.Hide()
	v.extra.Hide()
	if p.Refusal != nil && p.Refusal.InstallURL != "" {
		if u, err := url.Parse(p.Refusal.InstallURL); err == nil {
			v.link.SetText(T("login.antivirus"))
			v.link.SetURL(u)
			v.link.Show()
		}
	}
	if helpdesk != "" && needsHelpdesk(p.Code) {
		v.extra.SetText(helpdesk)
		v.extra.Show()
	}
	v.box.Show()
	v.box.Refresh()
}

// Text is what the view shows, for tests and the clipboard.
// Code is the code of the problem shown, "" when none.
func (v *problemView) Code() api.Code {
	if v.shown == nil {
		return ""
	}
	return v.shown.Code
}

func (v *problemView) Text() string {
	if v.shown == nil || !v.box.Visible() {
		return ""
	}
	return v.label.Text
}

// needsHelpdesk lists the problems only the helpdesk can solve.
func needsHelpdesk(c api.Code) bool {
	switch c {
	case api.CodeAccountLocked, api.CodeCertificateNotRegistered, api.CodeCertificateRevoked,
		api.CodeInternal, api.CodeProfileInvalid, api.CodeTunnelConfig, api.CodePoolExhausted,
		api.CodeTokenPINLocked, api.CodeTokenModuleNotAllowed, api.CodeTokenModuleHash:
		return true
	}
	return false
}

// progressView is a spinner with a sentence.
type progressView struct {
	box   *fyne.Container
	act   *widget.Activity
	label *widget.Label
}

func newProgressView() *progressView {
	p := &progressView{act: widget.NewActivity(), label: widget.NewLabel("")}
	p.box = container.NewHBox(p.act, p.label)
	p.box.Hide()
	return p
}

func (p *progressView) Start(text string) {
	p.label.SetText(text)
	p.box.Show()
	p.act.Start()
}

func (p *progressView) Stop() {
	p.act.Stop()
	p.box.Hide()
}

// heading is a large bold label.
func heading(text string) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.SizeName = theme.SizeNameSubHeadingText
	l.Wrapping = fyne.TextWrapWord
	return l
}

// caption is small secondary text. (Fyne's low importance is the
// disabled colour, too faint to read in the dark theme.)
func caption(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.SizeName = theme.SizeNameCaptionText
	l.Wrapping = fyne.TextWrapWord
	return l
}

// wrapped is a label that wraps at word boundaries.
func wrapped(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// bold is a bold label.
func bold(text string) *widget.Label {
	return widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

// fitHeight shrinks a window to its content's height once it has been
// laid out at its real width: wrapping labels report a tall minimum until
// they know their width, which would leave a gap under the content.
func (x *Windows) fitHeight(ctx context.Context, w fyne.Window, width float32) {
	go func() {
		for range 2 {
			x.onMain(ctx, func() {
				h := w.Content().MinSize().Height
				if w.Padded() {
					h += 2 * theme.Padding()
				}
				w.Resize(fyne.NewSize(width, h))
			})
		}
	}()
}

// parseURL returns u as a URL, or nil for an empty or bad one.
func parseURL(s string) *url.URL {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil
	}
	return u
}

// keepTogether starts a closing parenthetical remark — "(남은 시도 횟수:
// 4회)" — on a line of its own, so that word wrapping does not leave
// "(남은 시도 횟수:" on one line and "4회)" on the next. Fyne wraps at any
// Unicode space, no-break spaces included, so a newline is the only way.
func keepTogether(s string) string {
	if !strings.HasSuffix(s, ")") {
		return s
	}
	i := strings.LastIndex(s, " (")
	if i < 0 || strings.ContainsAny(s[i+1:], "\n") || utf8.RuneCountInString(s[i+1:]) > 24 {
		return s
	}
	return s[:i] + "\n" + s[i+1:]
}
