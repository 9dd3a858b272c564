package ui

import (
	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/certstore/token"
	"github.com/opensvpn/svpn/client/login"
)

// loginFlow is one login attempt: the account, the unlocked certificate,
// and the windows it goes through. It alone opens and forgets those
// windows; they report back through its methods.
//
//	login window ──로그인──► picker ──확인 (key unlocked)──► login.Once
//	     ▲                    │취소                    │
//	     │◄───────────────────┘                        ├─ connected ──► status view
//	     │◄──────────── failed (problem shown) ────────┤
//	     │                                              └─ password_change_required
//	     │                                                      │
//	     │◄── 취소 ─── password window ──변경──► login.Once (new_password) ─┘
//
// Every round is a complete login (signature and password): the gateway
// changes a password only inside one.
type loginFlow struct {
	lw       *loginWindow
	user     string
	password string
	id       *certstore.Identity
	tokenID  *token.Identity // when id is on a security token: logged out by forgetKey
	row      certRow
}

// forgetKey drops the unlocked certificate; a token is logged out.
func (f *loginFlow) forgetKey() {
	if f.tokenID != nil {
		f.tokenID.Close()
		f.tokenID = nil
	}
	f.id = nil
}

// openPicker opens 인증서 선택 for this flow.
func (f *loginFlow) openPicker() {
	f.lw.picker = newPickerWindow(f.lw.x, f)
}

// pickerDone: the picker closed because the flow goes on elsewhere.
func (f *loginFlow) pickerDone() {
	f.lw.picker = nil
}

// passwordWindowClosed: the password window is gone; unless the change
// went through, the flow ends as if the picker were cancelled.
func (f *loginFlow) passwordWindowClosed(changed bool) {
	f.lw.pwChange = nil
	if !changed {
		f.forgetKey()
		f.pickerClosed()
	}
}

// pickerClosed: the user cancelled the picker.
func (f *loginFlow) pickerClosed() {
	lw := f.lw
	lw.picker = nil
	if lw.pwChange != nil {
		return
	}
	lw.busy = false
	lw.setFormEnabled(true)
	lw.onStatus(lw.status)
	lw.w.RequestFocus()
	lw.w.Canvas().Focus(lw.password)
}

// login runs one complete login (login.Once) with the certificate unlocked
// in the picker, off Fyne's goroutine, and reports through done on it.
func (f *loginFlow) login(newPW string, done func(api.Status, error)) {
	lw := f.lw
	d := lw.x.o.Daemon
	id, user, pw := f.id, f.user, f.password
	go func() {
		ctx, cancel := withTimeout(lw.ctx, loginTimeout)
		defer cancel()
		st, err := login.Once(ctx, d, id, user, pw, newPW)
		lw.x.onMain(lw.ctx, func() { done(st, err) })
	}()
}

// connected ends the flow: the tunnel is up.
func (f *loginFlow) connected(st api.Status) {
	lw := f.lw
	lw.x.rememberCertificate(f.row.Info, lw.x.o.Now())
	f.forgetKey()
	lw.busy = false
	lw.password.SetText("")
	lw.problem.Set(nil, "")
	lw.setFormEnabled(true)
	lw.status = st
	lw.showStatus(st)
	if lw.x.o.OnConnected != nil {
		lw.x.o.OnConnected(st)
	}
}

// failed ends the flow with a problem shown in the login window.
func (f *loginFlow) failed(err error) {
	lw := f.lw
	f.forgetKey()
	lw.busy = false
	lw.setFormEnabled(true)
	lw.showForm()
	p := Explain(err)
	if p.Code == api.CodeDaemonUnavailable {
		// svpnd went away during the login: that is the banner's to say.
		lw.onDaemonDown(err)
		lw.problem.Set(nil, "")
	} else {
		lw.problem.Set(&p, lw.helpdeskText())
	}
	lw.fit()
	switch p.Code {
	case api.CodeBadCredentials:
		lw.password.SetText("")
		lw.w.Canvas().Focus(lw.password)
	case api.CodeAccountLocked:
		lw.password.SetText("")
	}
	lw.w.RequestFocus()
}

// passwordChange opens the first-login password change.
func (f *loginFlow) passwordChange() {
	f.lw.pwChange = newPasswordWindow(f.lw.x, f)
}
