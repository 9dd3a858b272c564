package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2/widget"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/certstore/token"
)

// tokenTab is the picker's 보안토큰: the tokens present through the
// allowed PKCS#11 modules (the system's registry and the profile's
// pkcs11_modules) and their certificates, listed again every
// tokenRefresh while the picker is open, so a token plugged in or pulled
// out shows by itself. The module is loaded here, in the process that
// signs; svpnd never loads one.
type tokenTab struct {
	p      *pickerWindow
	m      atomic.Pointer[token.Manager] // set by watch, used by unlock on another goroutine
	rows   []certRow
	tokens []token.TokenInfo
	errs   []error
	listed bool
	hint   *widget.Label // under the location buttons: the tokens present
}

// tokenRefresh is how often the tokens are listed while the picker is
// open: PKCS#11 has no portable insertion event (C_WaitForSlotEvent is
// optional and blocks in the driver).
const tokenRefresh = 2 * time.Second

func newTokenTab(p *pickerWindow) *tokenTab {
	t := &tokenTab{p: p}
	t.hint = caption("")
	t.hint.Hide()
	return t
}

// policy asks svpnd for the profile's modules; the registry is read here.
func (t *tokenTab) policy() token.Policy {
	pol := token.Policy{Registry: token.RegistryModules(), Extra: t.p.x.o.PKCS11Modules}
	if d := t.p.x.o.Daemon; d != nil {
		ctx, cancel := withTimeout(t.p.ctx, 3*time.Second)
		defer cancel()
		if info, err := d.Profile(ctx); err == nil {
			pol.Profile = info.Profile.PKCS11Modules
		}
	}
	return pol
}

// watch lists the tokens now and every tokenRefresh until the picker
// closes, updating the tab when what is present changed.
func (t *tokenTab) watch() {
	if !token.Supported() {
		t.p.x.onMain(t.p.ctx, func() { t.set(token.Result{Errors: []error{api.Errorf(api.CodeTokenUnsupported, "no PKCS#11")}}) })
		return
	}
	m := token.NewManager(t.policy(), 0)
	t.m.Store(m)
	last := "-"
	tick := time.NewTicker(tokenRefresh)
	defer tick.Stop()
	for {
		ctx, cancel := context.WithTimeout(t.p.ctx, 30*time.Second)
		r := m.List(ctx)
		cancel()
		if fp := tokenFingerprint(r); fp != last && t.p.ctx.Err() == nil {
			last = fp
			t.p.x.onMain(t.p.ctx, func() { t.set(r) })
		}
		select {
		case <-t.p.ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// tokenFingerprint changes when a token, a certificate or a PIN state
// changes.
func tokenFingerprint(r token.Result) string {
	var parts []string
	for _, tk := range r.Tokens {
		parts = append(parts, fmt.Sprintf("%s|%s|%s|%d", tk.Module.Path, tk.Serial, tk.Label, tk.PINState()))
	}
	for _, c := range r.Certificates {
		parts = append(parts, c.Path+"|"+c.Unusable)
	}
	for _, e := range r.Errors {
		parts = append(parts, string(api.CodeOf(e)))
	}
	slices.Sort(parts)
	return strings.Join(parts, "\n")
}

// set shows a listing: the rows of the tab and the tokens in the hint.
func (t *tokenTab) set(r token.Result) {
	p := t.p
	t.listed = true
	t.tokens, t.errs = r.Tokens, r.Errors
	now := p.x.o.Now()
	t.rows = nil
	for _, c := range r.Certificates {
		t.rows = append(t.rows, certRow{Cert: &c.Certificate, Path: c.Path, Info: c.Certificate.Info(now), Token: c})
	}
	sortRows(t.rows)
	t.updateHint()
	if p.loc == certstore.LocationToken {
		p.setLocation(certstore.LocationToken)
	} else if !p.userLoc && p.scanned && len(p.shown) == 0 && len(t.rows) > 0 {
		p.setLocation(certstore.LocationToken) // the only certificates are on a token
	}
}

// updateHint names the tokens present (label, manufacturer) under the
// location buttons while the tab is shown.
func (t *tokenTab) updateHint() {
	was := t.hint.Visible()
	if t.p.loc != certstore.LocationToken || len(t.tokens) == 0 {
		t.hint.Hide()
	} else {
		var names []string
		for _, tk := range t.tokens {
			names = append(names, fmt.Sprintf("%s (%s)", tk.Label, tk.Manufacturer))
		}
		t.hint.SetText(Tf("picker.token_present", map[string]any{"Tokens": strings.Join(names, ", ")}))
		t.hint.Show()
	}
	if was != t.hint.Visible() {
		// The line above the table comes or goes: lay the window out
		// again, or the table's header stays under it.
		if c := t.p.w.Content(); c != nil {
			c.Refresh()
		}
	}
}

// emptyText says why the tab is empty: no token, or the modules' problem.
func (t *tokenTab) emptyText() string {
	switch {
	case !t.listed:
		return T("picker.token_listing")
	case len(t.errs) > 0 && api.CodeOf(t.errs[0]) == api.CodeTokenUnsupported:
		return ExplainCode(api.CodeTokenUnsupported).String()
	case len(t.tokens) == 0 && len(t.errs) > 0:
		return Explain(t.errs[0]).String()
	case len(t.tokens) == 0:
		return T("picker.token_none")
	}
	return T("picker.token_no_certificate")
}

// locationChanged switches the instructions and the secret field between
// the certificate password and the token's PIN, with the PIN state of the
// selected token.
func (t *tokenTab) locationChanged() {
	p := t.p
	if p.pwForm == nil {
		return
	}
	if p.loc == certstore.LocationToken {
		p.intro.SetText(T("picker.token_instructions"))
		p.pwForm.Items[0].Text = T("picker.token_pin")
		p.password.SetPlaceHolder(T("picker.token_pin_placeholder"))
		p.caseNote.SetText(t.pinNote())
	} else {
		p.intro.SetText(T("picker.instructions"))
		p.pwForm.Items[0].Text = T("picker.password")
		p.password.SetPlaceHolder(T("picker.password_placeholder"))
		p.caseNote.SetText(T("picker.case_sensitive"))
	}
	p.pwForm.Refresh()
	t.updateHint()
}

// pinNote is the line under the PIN: the tries-left warning the selected
// token's flags give, or the usual advice.
func (t *tokenTab) pinNote() string {
	row, ok := t.p.selectedRow()
	if ok && row.Token != nil {
		if s := pinStateText(row.Token.Token.PINState()); s != "" {
			return s
		}
	}
	return T("picker.token_pin_note")
}

// pinStateText is the tries-left warning for a PIN state, "" when none.
func pinStateText(s token.PINState) string {
	switch s {
	case token.PINCountLow:
		return T("picker.token_pin_count_low")
	case token.PINFinalTry:
		return T("picker.token_pin_final_try")
	case token.PINLocked:
		return T("picker.token_pin_locked")
	}
	return ""
}

// unlock logs in to the row's token with pin, off Fyne's goroutine.
func (t *tokenTab) unlock(row certRow, pin []byte) (*token.Identity, error) {
	m := t.m.Load()
	if m == nil {
		return nil, api.Errorf(api.CodeTokenUnsupported, "no PKCS#11")
	}
	ctx, cancel := context.WithTimeout(t.p.ctx, loginTimeout)
	defer cancel()
	return m.Unlock(ctx, row.Path, pin)
}

// problem is how a token failure is shown: the catalogue's sentence, and
// after a refused PIN the tries-left warning from the token's flags.
func tokenProblem(err error) Problem {
	pr := Explain(err)
	var pe *token.PINError
	if errors.As(err, &pe) && pe.Code == api.CodeTokenPINWrong {
		if s := pinStateText(pe.State); s != "" {
			pr.Text += " " + s
		}
	}
	return pr
}
