package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/opensvpn/svpn/api"
)

// passwordWindow is the first-login password change: the gateway refused
// the login with password_change_required; the new password is checked
// against the gateway's rules as the user types, then the login is
// repeated with it (the certificate stays unlocked in this process).
type passwordWindow struct {
	x      *Windows
	flow   *loginFlow
	w      fyne.Window
	ctx    context.Context
	cancel context.CancelFunc

	old, newPW, confirm *secretEntry
	capsHint            *widget.Label
	checklist           *fyne.Container
	items               []checkRow
	extra               *widget.Label // violations of rules the checklist does not know
	problem             *problemView
	progress            *progressView
	okBtn, cancelBtn    *keyButton

	rules      api.PasswordRules
	verdict    map[string]bool // the gateway's broken rules for verdictFor
	verdictFor string
	busy, done bool
}

type checkRow struct {
	icon  *widget.Icon
	label *widget.Label
}

func newPasswordWindow(x *Windows, f *loginFlow) *passwordWindow {
	pw := &passwordWindow{x: x, flow: f, w: x.fa.NewWindow(T("pwchange.title")), rules: f.lw.passwordRules()}
	pw.ctx, pw.cancel = context.WithCancel(f.lw.ctx)
	pw.w.SetIcon(AppIcon)
	pw.build()
	pw.w.Resize(fyne.NewSize(passwordWidth, 10))
	pw.w.CenterOnScreen()
	pw.w.SetOnClosed(func() {
		pw.cancel()
		f.passwordWindowClosed(pw.done)
	})
	pw.w.Show()
	pw.w.Canvas().Focus(pw.newPW)
	pw.x.fitHeight(pw.ctx, pw.w, passwordWidth)
	return pw
}

const passwordWidth = 520

func (pw *passwordWindow) build() {
	f := pw.flow
	user := widget.NewEntry()
	user.SetText(f.user)
	user.Disable()
	pw.old = newSecretEntry()
	pw.old.SetText(f.password)
	pw.newPW = newSecretEntry()
	pw.confirm = newSecretEntry()
	pw.capsHint = widget.NewLabel(T("common.caps_lock_on"))
	pw.capsHint.Importance = widget.WarningImportance
	pw.capsHint.SizeName = theme.SizeNameCaptionText
	pw.capsHint.Hide()
	for _, e := range []*secretEntry{pw.old, pw.newPW, pw.confirm} {
		e.OnChanged = func(string) { pw.update() }
		e.onCaps = func(on bool) { setVisible(pw.capsHint, on) }
		e.onEscape = func() { pw.close(false) }
	}
	pw.old.OnSubmitted = func(string) { pw.w.Canvas().Focus(pw.newPW) }
	pw.newPW.OnSubmitted = func(string) { pw.w.Canvas().Focus(pw.confirm) }
	pw.confirm.OnSubmitted = func(string) { pw.submit() }
	form := widget.NewForm(
		widget.NewFormItem(T("pwchange.user"), user),
		widget.NewFormItem(T("pwchange.old"), pw.old),
		widget.NewFormItem(T("pwchange.new"), pw.newPW),
		widget.NewFormItem(T("pwchange.confirm"), pw.confirm),
	)
	pw.checklist = container.New(layout.NewCustomPaddedVBoxLayout(-theme.Padding()))
	pw.extra = wrapped("")
	pw.extra.Importance = widget.DangerImportance
	pw.extra.Hide()
	pw.problem = newProblemView(pw.x.opener(pw.w))
	pw.progress = newProgressView()
	pw.okBtn = newKeyButton(T("pwchange.submit"), theme.ConfirmIcon(), pw.submit)
	pw.okBtn.Importance = widget.HighImportance
	pw.cancelBtn = newKeyButton(T("common.cancel"), theme.CancelIcon(), func() { pw.close(false) })
	pw.okBtn.onEscape, pw.cancelBtn.onEscape = func() { pw.close(false) }, func() { pw.close(false) }

	msg := wrapped(T("pwchange.first_login"))
	msg.TextStyle.Bold = true
	msg.Importance = widget.HighImportance
	content := container.NewVBox(
		heading(T("pwchange.title")),
		msg,
		widget.NewSeparator(),
		form,
		pw.capsHint,
		bold(T("pwchange.rules")),
		pw.checklist,
		pw.extra,
		pw.progress.box,
		pw.problem.box,
		widget.NewSeparator(),
		container.NewHBox(layout.NewSpacer(), pw.okBtn, pw.cancelBtn),
	)
	pw.w.SetContent(container.NewPadded(content))
	pw.update()
}

// update re-evaluates the checklist as the user types.
func (pw *passwordWindow) update() {
	var verdict map[string]bool
	if pw.newPW.Text == pw.verdictFor {
		verdict = pw.verdict
	} else {
		pw.extra.Hide()
	}
	items := Checklist(pw.rules, pw.flow.user, pw.old.Text, pw.newPW.Text, pw.confirm.Text, verdict)
	for len(pw.items) < len(items) {
		r := checkRow{icon: widget.NewIcon(nil), label: widget.NewLabel("")}
		r.label.Wrapping = fyne.TextWrapWord
		pw.items = append(pw.items, r)
		pw.checklist.Add(container.NewBorder(nil, nil, r.icon, nil, r.label))
	}
	for i, it := range items {
		r := pw.items[i]
		text := it.Text
		switch it.State {
		case RuleMet:
			r.icon.SetResource(theme.NewSuccessThemedResource(theme.ConfirmIcon()))
			r.label.Importance = widget.SuccessImportance
		case RuleBroken:
			r.icon.SetResource(theme.NewErrorThemedResource(theme.CancelIcon()))
			r.label.Importance = widget.DangerImportance
			if it.Gateway {
				text += " " + T("pwchange.gateway_verdict")
			}
		default:
			r.icon.SetResource(theme.NewDisabledResource(theme.RadioButtonIcon()))
			r.label.Importance = widget.MediumImportance
		}
		r.label.SetText(text)
	}
	if ChecklistOK(items) && pw.old.Text != "" && !pw.busy {
		pw.okBtn.Enable()
	} else {
		pw.okBtn.Disable()
	}
}

// checklistState returns the checklist as shown, for tests.
func (pw *passwordWindow) checklistState() []ChecklistItem {
	var verdict map[string]bool
	if pw.newPW.Text == pw.verdictFor {
		verdict = pw.verdict
	}
	return Checklist(pw.rules, pw.flow.user, pw.old.Text, pw.newPW.Text, pw.confirm.Text, verdict)
}

func (pw *passwordWindow) setBusy(on bool) {
	pw.busy = on
	for _, e := range []*secretEntry{pw.old, pw.newPW, pw.confirm} {
		if on {
			e.Disable()
		} else {
			e.Enable()
		}
	}
	if on {
		pw.progress.Start(T("pwchange.progress"))
		pw.problem.Set(nil, "")
	} else {
		pw.progress.Stop()
	}
	pw.update()
}

// submit logs in again with the new password; the gateway changes it and
// connects in the same request.
func (pw *passwordWindow) submit() {
	if pw.busy || !ChecklistOK(pw.checklistState()) || pw.old.Text == "" {
		return
	}
	f := pw.flow
	newPW := pw.newPW.Text
	f.password = pw.old.Text
	pw.setBusy(true)
	f.login(newPW, func(st api.Status, err error) {
		pw.setBusy(false)
		if err == nil {
			f.password = newPW
			pw.close(true)
			f.connected(st)
			return
		}
		p := Explain(err)
		switch p.Code {
		case api.CodePasswordPolicy:
			pw.verdict, pw.verdictFor = map[string]bool{}, newPW
			var unknown []string
			known := map[string]bool{}
			for _, it := range Checklist(pw.rules, f.user, pw.old.Text, newPW, newPW, nil) {
				known[it.Rule] = true
			}
			if p.Refusal != nil {
				for _, v := range p.Refusal.Violations {
					pw.verdict[v.Rule] = true
					if !known[v.Rule] {
						unknown = append(unknown, "• "+ruleText(v))
					}
				}
			}
			if len(unknown) > 0 {
				pw.extra.SetText(joinLines(unknown))
				pw.extra.Show()
			}
			pw.update()
			pw.w.Canvas().Focus(pw.newPW)
		case api.CodeBadCredentials:
			pw.old.SetText("")
			pw.w.Canvas().Focus(pw.old)
		}
		pw.problem.Set(&p, f.lw.helpdeskText())
		pw.x.fitHeight(pw.ctx, pw.w, passwordWidth)
	})
}

func joinLines(lines []string) string {
	s := ""
	for i, l := range lines {
		if i > 0 {
			s += "\n"
		}
		s += l
	}
	return s
}

func (pw *passwordWindow) close(done bool) {
	if pw.busy && !done {
		return
	}
	pw.done = done
	pw.w.Close()
}
