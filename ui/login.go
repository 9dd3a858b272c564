package ui

import (
	"context"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/opensvpn/svpn/api"
)

// loginWindow is what the employee sees after double-clicking
// 원격근무서비스: the gateway's name and banner, ID and password, 로그인,
// the manual and antivirus links and the helpdesk line. Connected, it shows
// the connection instead.
type loginWindow struct {
	x      *Windows
	w      fyne.Window
	ctx    context.Context
	cancel context.CancelFunc

	title        *widget.Label
	banner       *widget.Label
	daemonBanner *fyne.Container
	daemonLabel  *widget.Label

	form     *fyne.Container
	user     *widget.Entry
	password *secretEntry
	capsHint *widget.Label
	loginBtn *keyButton
	progress *progressView
	problem  *problemView

	links      *fyne.Container
	manualLink *widget.Hyperlink
	avLink     *widget.Hyperlink
	helpdesk   *widget.Label

	statusPanel  *fyne.Container
	statusHead   *widget.Label
	statusIcon   *widget.Icon
	statusGrid   *fyne.Container
	statusNote   *widget.Label
	statusAct    *progressView
	portalBtn    *keyButton
	logoutBtn    *keyButton
	statusValues map[string]*widget.Label

	// State, touched on Fyne's goroutine only.
	profile    *api.ProfileInfo
	status     api.Status
	haveStatus bool
	daemonUp   bool
	busy       bool // this window's login is in progress
	picker     *pickerWindow
	pwChange   *passwordWindow
	mobile     *mobileWindow // the QR login (모바일 공무원증), ui/mobileid.go
	loadingPro bool
	// started is set once the window has shown what svpnd said first (its
	// profile, or that it is away): the start-up work on other goroutines
	// is done. Tests wait for it before typing.
	started atomic.Bool
	confirm dialog.Dialog // the open 연결 끊기 question
}

func newLoginWindow(x *Windows) *loginWindow {
	lw := &loginWindow{x: x, w: x.fa.NewWindow(T("app.title")), statusValues: map[string]*widget.Label{}}
	lw.ctx, lw.cancel = context.WithCancel(context.Background())
	lw.w.SetIcon(AppIcon)
	lw.build()
	lw.w.SetContent(lw.content())
	lw.w.Resize(fyne.NewSize(loginWidth, 10))
	lw.w.CenterOnScreen()
	x.setupClose(lw.w, func() {
		lw.cancel()
		if lw.picker != nil {
			lw.picker.w.Close()
		}
		if lw.pwChange != nil {
			lw.pwChange.w.Close()
		}
		if lw.mobile != nil {
			lw.mobile.close()
		}
		x.login = nil
	})
	if last := x.prefs().String(prefLastUser); last != "" {
		lw.user.SetText(last)
		lw.w.Canvas().Focus(lw.password)
	} else {
		lw.w.Canvas().Focus(lw.user)
	}
	go WatchDaemon(lw.ctx, x.o.Daemon,
		func(st api.Status) { lw.x.onMain(lw.ctx, func() { lw.onStatus(st) }) },
		func(err error) { lw.x.onMain(lw.ctx, func() { lw.onDaemonDown(err) }) })
	lw.loadProfile()
	return lw
}

func (lw *loginWindow) build() {
	lw.title = heading(T("app.name"))
	lw.title.SizeName = theme.SizeNameHeadingText
	lw.banner = wrapped("")
	lw.banner.Hide()

	lw.daemonLabel = wrapped("")
	lw.daemonLabel.Importance = widget.WarningImportance
	lw.daemonBanner = container.NewBorder(nil, nil, widget.NewIcon(theme.WarningIcon()), nil, lw.daemonLabel)
	lw.daemonBanner.Hide()

	lw.user = widget.NewEntry()
	lw.user.SetPlaceHolder(T("login.user_placeholder"))
	lw.user.OnSubmitted = func(string) { lw.w.Canvas().Focus(lw.password) }
	lw.password = newSecretEntry()
	lw.password.SetPlaceHolder(T("login.password_placeholder"))
	lw.password.OnSubmitted = func(string) { lw.submit() }
	lw.capsHint = widget.NewLabel(T("common.caps_lock_on"))
	lw.capsHint.Importance = widget.WarningImportance
	lw.capsHint.SizeName = theme.SizeNameCaptionText
	lw.capsHint.Hide()
	lw.password.onCaps = func(on bool) { setVisible(lw.capsHint, on) }

	lw.loginBtn = newKeyButton(T("login.button"), theme.LoginIcon(), lw.submit)
	lw.loginBtn.Importance = widget.HighImportance
	lw.progress = newProgressView()
	lw.problem = newProblemView(lw.x.opener(lw.w))
	lw.problem.onChange = lw.fit

	form := widget.NewForm(
		widget.NewFormItem(T("login.user"), lw.user),
		widget.NewFormItem(T("login.password"), lw.password),
	)
	lw.form = container.NewVBox(form, lw.capsHint, lw.loginBtn, lw.mobileButton(), lw.progress.box, lw.problem.box)

	lw.manualLink = widget.NewHyperlink(T("login.manual"), nil)
	lw.avLink = widget.NewHyperlink(T("login.antivirus"), nil)
	for _, l := range []*widget.Hyperlink{lw.manualLink, lw.avLink} {
		l.OnTapped = func() { lw.x.opener(lw.w)(l.URL) }
		l.Hide()
	}
	lw.links = container.NewHBox(lw.manualLink, widget.NewLabel(""), lw.avLink)
	lw.helpdesk = caption("")
	lw.helpdesk.Hide()

	// The connected view.
	lw.statusIcon = widget.NewIcon(theme.ConfirmIcon())
	lw.statusHead = bold("")
	lw.statusHead.Wrapping = fyne.TextWrapWord
	lw.statusGrid = container.New(layout.NewFormLayout())
	for _, k := range []string{"status.user", "status.gateway", "status.address", "status.since", "status.expires"} {
		v := widget.NewLabel("")
		v.Wrapping = fyne.TextWrapBreak
		lw.statusValues[k] = v
		lw.statusGrid.Add(widget.NewLabelWithStyle(T(k), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
		lw.statusGrid.Add(v)
	}
	lw.statusNote = wrapped("")
	lw.statusNote.Importance = widget.WarningImportance
	lw.statusNote.Hide()
	lw.statusAct = newProgressView()
	lw.portalBtn = newKeyButton(T("status.open_portal"), theme.ComputerIcon(), func() {
		lw.x.opener(lw.w)(parseURL(PortalURL(lw.status)))
	})
	lw.portalBtn.Importance = widget.HighImportance
	lw.logoutBtn = newKeyButton(T("status.disconnect"), theme.LogoutIcon(), func() {
		lw.confirm = askDisconnect(lw.w, loginWidth-40, lw.logout, func() { lw.confirm = nil }) // asked first
	})
	lw.statusPanel = container.NewVBox(
		container.NewBorder(nil, nil, lw.statusIcon, nil, lw.statusHead),
		lw.statusAct.box, lw.statusNote, lw.statusGrid,
		container.NewGridWithColumns(2, lw.portalBtn, lw.logoutBtn),
	)
	lw.statusPanel.Hide()
}

func (lw *loginWindow) content() fyne.CanvasObject {
	logo := canvas.NewImageFromResource(AppIcon)
	logo.FillMode = canvas.ImageFillContain
	logo.SetMinSize(fyne.NewSize(48, 48))
	header := container.NewBorder(nil, nil, logo, nil, container.NewVBox(lw.title, caption(T("app.subtitle"))))
	diagBtn := newKeyButton(T("login.diagnostics"), theme.InfoIcon(), lw.x.openDiagnostics)
	diagBtn.Importance = widget.LowImportance
	body := container.NewVBox(
		header,
		lw.banner,
		lw.daemonBanner,
		widget.NewSeparator(),
		container.NewStack(lw.form, lw.statusPanel),
		widget.NewSeparator(),
		lw.links,
		lw.helpdesk,
		container.NewHBox(lw.certMoveButton(), layout.NewSpacer(), diagBtn), // 인증서 이동: certmove.go
	)
	return container.NewPadded(body)
}

func setVisible(o fyne.CanvasObject, v bool) {
	if v {
		o.Show()
	} else {
		o.Hide()
	}
}

// loadProfile asks svpnd for the profile and the gateway's description.
func (lw *loginWindow) loadProfile() {
	if lw.loadingPro {
		return
	}
	lw.loadingPro = true
	d := lw.x.o.Daemon
	go func() {
		ctx, cancel := withTimeout(lw.ctx, callTimeout)
		defer cancel()
		p, err := d.Profile(ctx)
		lw.x.onMain(lw.ctx, func() {
			if err == nil {
				lw.applyProfile(p)
			}
			lw.loadingPro = false
			lw.started.Store(true)
		})
	}()
}

func (lw *loginWindow) applyProfile(p *api.ProfileInfo) {
	lw.profile = p
	name := p.Profile.Name
	if name == "" {
		name = T("app.name")
	}
	lw.title.SetText(name)
	banner := ""
	if p.Gateway != nil {
		banner = p.Gateway.Banner
	} else if p.Error != "" {
		banner = ExplainCode(p.Error).String()
		lw.banner.Importance = widget.WarningImportance
	}
	if p.Gateway != nil {
		lw.banner.Importance = widget.MediumImportance
	}
	lw.banner.SetText(banner)
	setVisible(lw.banner, banner != "")
	if u := parseURL(p.Profile.ManualURL); u != nil {
		lw.manualLink.SetURL(u)
		lw.manualLink.Show()
	}
	av := p.Profile.AntivirusURL
	if av == "" && p.Gateway != nil {
		av = p.Gateway.Posture.InstallURL
	}
	if u := parseURL(av); u != nil {
		lw.avLink.SetURL(u)
		lw.avLink.Show()
	}
	lw.helpdesk.SetText(lw.helpdeskText())
	setVisible(lw.helpdesk, lw.helpdesk.Text != "")
	lw.w.Content().Refresh()
	lw.fit()
}

// loginWidth is the login window's width (Fyne units).
const loginWidth = 440

// fit resizes the window to what it shows now.
func (lw *loginWindow) fit() { lw.x.fitHeight(lw.ctx, lw.w, loginWidth) }

func (lw *loginWindow) helpdeskText() string {
	if lw.profile == nil {
		return ""
	}
	if lw.profile.Profile.Helpdesk != "" {
		return lw.profile.Profile.Helpdesk
	}
	if lw.profile.Gateway != nil {
		return lw.profile.Gateway.Helpdesk
	}
	return ""
}

func (lw *loginWindow) passwordRules() api.PasswordRules {
	if lw.profile != nil && lw.profile.Gateway != nil && lw.profile.Gateway.PasswordRules.MinLength > 0 {
		return lw.profile.Gateway.PasswordRules
	}
	return DefaultRules()
}

// The window has one place for each error: svpnd being away is the banner
// at the top (E-601), every other failure the problem view under the form.
// An error goes when the state it describes ends: the problem view is
// cleared when svpnd goes away (what it said was about a login svpnd no
// longer holds) and when a new login starts; the banner when svpnd is back.

func (lw *loginWindow) onDaemonDown(err error) {
	wasUp := lw.daemonUp || !lw.haveStatus
	lw.daemonUp = false
	p := ExplainCode(api.CodeDaemonUnavailable)
	lw.daemonLabel.SetText(p.String())
	if !lw.daemonBanner.Visible() {
		lw.daemonBanner.Show()
		lw.fit()
	}
	if !lw.busy {
		lw.problem.Set(nil, "") // superseded: svpnd is away
	}
	if wasUp && !lw.busy {
		lw.showForm()
	}
	lw.started.Store(true)
}

func (lw *loginWindow) onStatus(st api.Status) {
	prev, had := lw.status, lw.haveStatus
	lw.status, lw.haveStatus = st, true
	if !lw.daemonUp {
		lw.daemonUp = true
		if lw.daemonBanner.Visible() {
			lw.daemonBanner.Hide()
			lw.fit()
		}
		if lw.problem.Code() == api.CodeDaemonUnavailable {
			lw.problem.Set(nil, "")
		}
		if lw.profile == nil || lw.profile.Gateway == nil {
			lw.loadProfile()
		}
	}
	if lw.busy {
		return // this window's login drives what is shown
	}
	switch st.State {
	case api.StateConnected, api.StateReconnecting, api.StateConnecting, api.StateAuthenticating:
		lw.showStatus(st)
	default:
		lw.showForm()
		ended := had && (prev.State == api.StateConnected || prev.State == api.StateReconnecting)
		if ended {
			lw.w.Canvas().Focus(lw.password) // ready to log in again
		}
		if (ended || !had) && st.EndReason != "" && st.EndReason != api.EndLogout {
			p := ExplainCode(st.LastErrorCode)
			if st.LastErrorCode == "" {
				p.Code = api.CodeSessionEnded
				p.Number = ErrorNumber(api.CodeSessionEnded)
			}
			p.Text = EndReasonText(string(st.EndReason))
			lw.problem.Set(&p, "")
		}
	}
}

func (lw *loginWindow) showForm() {
	wasStatus := lw.statusPanel.Visible()
	lw.statusPanel.Hide()
	lw.form.Show()
	lw.setFormEnabled(!lw.busy)
	if wasStatus {
		lw.fit()
	}
}

func (lw *loginWindow) showStatus(st api.Status) {
	lw.form.Hide()
	lw.statusPanel.Show()
	lw.statusAct.Stop()
	lw.statusNote.Hide()
	switch st.State {
	case api.StateConnected:
		lw.statusIcon.SetResource(theme.ConfirmIcon())
		lw.statusHead.SetText(T("status.connected"))
	case api.StateReconnecting:
		lw.statusIcon.SetResource(theme.WarningIcon())
		lw.statusHead.SetText(T("status.reconnecting"))
		if st.LastErrorCode != "" {
			lw.statusNote.SetText(ExplainCode(st.LastErrorCode).String())
			lw.statusNote.Show()
		}
	default:
		lw.statusIcon.SetResource(theme.MediaReplayIcon())
		lw.statusHead.SetText(T("status.connecting"))
		lw.statusAct.Start(T("status.connecting_detail"))
	}
	user := st.User
	if st.DisplayName != "" && st.DisplayName != st.User {
		user = st.DisplayName + " (" + st.User + ")"
	}
	gw := st.GatewayName
	if gw == "" {
		gw = st.Gateway
	}
	lw.statusValues["status.user"].SetText(user)
	lw.statusValues["status.gateway"].SetText(gw)
	lw.statusValues["status.address"].SetText(st.Address)
	lw.statusValues["status.since"].SetText(formatTime(st.ConnectedAt, lw.x.o.Now()))
	lw.statusValues["status.expires"].SetText(formatTime(st.SessionExpiresAt, lw.x.o.Now()))
	if PortalURL(st) != "" && st.State == api.StateConnected {
		lw.portalBtn.Enable()
	} else {
		lw.portalBtn.Disable()
	}
	lw.w.Content().Refresh()
	lw.fit()
}

// formatTime shows a time as 15:04 today, else 2006-01-02 15:04.
func formatTime(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	t = t.Local()
	if y, m, d := t.Date(); now.Local().Year() == y && now.Local().Month() == m && now.Local().Day() == d {
		return t.Format("15:04")
	}
	return t.Format("2006-01-02 15:04")
}

// PortalURL is where 행정포탈 열기 goes: the loopback forward in
// userspace mode (the browser cannot reach the tunnel directly), else the
// portal itself.
func PortalURL(st api.Status) string {
	if st.PortalLocalURL != "" {
		return st.PortalLocalURL
	}
	return st.PortalURL
}

func (lw *loginWindow) setFormEnabled(on bool) {
	for _, e := range []*widget.Entry{lw.user, &lw.password.Entry} {
		if on {
			e.Enable()
		} else {
			e.Disable()
		}
	}
	if on {
		lw.loginBtn.Enable()
	} else {
		lw.loginBtn.Disable()
	}
}

func (lw *loginWindow) localProblem(key string, focus fyne.Focusable) {
	lw.problem.Set(&Problem{Text: T(key)}, "")
	lw.fit()
	if focus != nil {
		lw.w.Canvas().Focus(focus)
	}
}

// submit is 로그인 (or Enter in the password field): check the fields and
// open the certificate picker.
func (lw *loginWindow) submit() {
	if lw.busy {
		return
	}
	user := strings.TrimSpace(lw.user.Text)
	switch {
	case user == "":
		lw.localProblem("login.need_user", lw.user)
		return
	case lw.password.Text == "":
		lw.localProblem("login.need_password", lw.password)
		return
	case !lw.daemonUp && lw.daemonBanner.Visible():
		// The banner already says so; a second E-601 under the form would
		// stay behind when svpnd comes back.
		lw.problem.Set(nil, "")
		lw.fit()
		return
	}
	lw.problem.Set(nil, "")
	lw.x.prefs().SetString(prefLastUser, user)
	if lw.profile == nil || lw.profile.Gateway == nil {
		lw.loadProfile()
	}
	lw.busy = true
	lw.setFormEnabled(false)
	f := &loginFlow{lw: lw, user: user, password: lw.password.Text}
	f.openPicker()
}

func (lw *loginWindow) logout() {
	d := lw.x.o.Daemon
	lw.logoutBtn.Disable()
	go func() {
		ctx, cancel := withTimeout(lw.ctx, callTimeout)
		defer cancel()
		_, err := d.Logout(ctx)
		lw.x.onMain(lw.ctx, func() {
			lw.logoutBtn.Enable()
			if err != nil {
				p := Explain(err)
				lw.statusNote.SetText(p.String())
				lw.statusNote.Show()
			}
		})
	}()
}
