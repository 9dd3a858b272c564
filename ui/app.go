// Package ui is the desktop app's windows: login, certificate picker,
// first-login password change, diagnostics and about, plus what every
// front-end process shares: translations, the error table, the theme, the
// tray's state model. It uses Fyne's API only (no driver), so tests drive
// it with fyne.io/fyne/v2/test; cmd/svpn creates the real app.
package ui

import (
	"context"
	"encoding/json"
	"net/url"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
)

// Options configure the windows of one process.
type Options struct {
	Daemon  Daemon
	Socket  string // svpnd's address, shown in the diagnostics
	Sources func() []certstore.Source
	Version string
	Lang    LanguageChoice
	// Environment is what the app found about this desktop (tray, D-Bus,
	// notifications): translation keys, shown in the diagnostics.
	Environment []string
	// OpenURL opens a link in the default browser (default: the app's).
	OpenURL func(*url.URL) error
	// Persistent windows hide when closed (one process holds the tray and
	// the windows); otherwise closing the main window ends the process
	// (a window process started by the tray).
	Persistent bool
	// OnConnected is called after this app's login brought the tunnel up.
	OnConnected func(api.Status)
	// OpenDiagnostics, if set, opens the diagnostics somewhere else (the
	// tray's window process); by default in this process.
	OpenDiagnostics func()
	// NoTray: no tray icon can be shown on this desktop (no
	// StatusNotifier host, no session bus), so the connection window is
	// the app's only handle while connected, and closing it quits.
	NoTray bool
	// OnConnectionEnded is called when the connection the connection
	// window shows has ended (the login window takes over).
	OnConnectionEnded func(api.Status)
	// Store keeps what the windows remember (default: Fyne's preferences).
	Store Store
	// Now is the clock (tests).
	Now func() time.Time
	// PKCS11Modules are security token modules allowed for this run, besides
	// the system's registry and the profile's (tests).
	PKCS11Modules []string
	// Do runs a function on Fyne's goroutine; the windows' background work
	// posts every UI update through it (default: fyne.Do). Fyne's test
	// driver runs fyne.Do's function at once on the posting goroutine, so
	// tests queue the updates here and apply them on the test's own.
	Do func(func())
}

// Windows are the app's windows in this process, each created on first use
// and raised when asked again.
type Windows struct {
	fa    fyne.App
	o     Options
	login *loginWindow
	diag  *diagWindow
	about fyne.Window
	conn  *connWindow
	// urlDialog is the last "copy this address" dialog shown (tests read it).
	urlDialog dialog.Dialog
}

// NewWindows prepares the windows; none is shown yet.
func NewWindows(fa fyne.App, o Options) *Windows {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.OpenURL == nil {
		o.OpenURL = fa.OpenURL
	}
	if o.Sources == nil {
		o.Sources = Sources(nil, nil)
	}
	if o.Do == nil {
		o.Do = fyne.Do
	}
	return &Windows{fa: fa, o: o}
}

// do runs f on Fyne's goroutine (Options.Do).
func (x *Windows) do(f func()) { x.o.Do(f) }

// App returns the Fyne app.
func (x *Windows) App() fyne.App { return x.fa }

// opener returns what opens links from window w: the browser, and when
// there is none (no default browser, xdg-open failing), a dialog in w that
// says so and offers the address to copy, instead of an error only a
// terminal would show.
func (x *Windows) opener(w fyne.Window) func(*url.URL) {
	return func(u *url.URL) {
		if u == nil {
			return
		}
		if err := x.o.OpenURL(u); err != nil {
			fyne.LogError("opening "+u.String(), err)
			x.showURLDialog(w, u)
		}
	}
}

// showURLDialog shows u in w for the user to copy into a browser. The
// focus is on 복사 (Enter copies); Escape closes it.
func (x *Windows) showURLDialog(w fyne.Window, u *url.URL) {
	addr := widget.NewEntry()
	addr.SetText(u.String())
	addr.OnChanged = func(string) { addr.SetText(u.String()) } // read-only, yet selectable
	copyBtn := newKeyButton(T("diag.copy"), theme.ContentCopyIcon(), func() {
		x.fa.Clipboard().SetContent(u.String())
	})
	msg := widget.NewLabel(T("open.failed"))
	msg.Wrapping = fyne.TextWrapWord
	closeBtn := newKeyButton(T("common.close"), nil, nil)
	d := dialog.NewCustomWithoutButtons(T("open.failed_title"),
		container.NewVBox(msg, container.NewBorder(nil, nil, nil, copyBtn, addr)), w)
	d.SetButtons([]fyne.CanvasObject{closeBtn})
	closeBtn.OnTapped = d.Hide
	copyBtn.onEscape, closeBtn.onEscape = d.Hide, d.Hide
	prev := w.Canvas().Focused()
	d.SetOnClosed(func() {
		if x.urlDialog == d {
			x.urlDialog = nil
		}
		if prev != nil {
			w.Canvas().Focus(prev) // where the keyboard was
		}
	})
	d.Resize(fyne.NewSize(440, 0))
	x.urlDialog = d
	d.Show()
	w.Canvas().Focus(copyBtn)
}

// ShowLogin shows the login window (or the connection status when
// connected), creating it if needed, and brings it to the front.
func (x *Windows) ShowLogin() fyne.Window {
	if x.login == nil {
		x.login = newLoginWindow(x)
	}
	x.login.w.Show()
	x.login.w.RequestFocus()
	return x.login.w
}

// HideLogin hides the login window (persistent windows, after a login).
func (x *Windows) HideLogin() {
	if x.login != nil {
		x.login.w.Hide()
	}
}

// CloseLogin closes the login window, if open.
func (x *Windows) CloseLogin() {
	if x.login != nil {
		x.login.w.Close()
	}
}

// ShowDiagnostics shows the diagnostics window.
func (x *Windows) ShowDiagnostics() fyne.Window {
	if x.diag == nil {
		x.diag = newDiagWindow(x)
	}
	x.diag.w.Show()
	x.diag.w.RequestFocus()
	x.diag.refresh()
	return x.diag.w
}

// openDiagnostics is the login window's 진단 정보: in the tray's
// diagnostics window process if there is one, else here.
func (x *Windows) openDiagnostics() {
	if x.o.OpenDiagnostics != nil {
		x.o.OpenDiagnostics()
		return
	}
	x.ShowDiagnostics()
}

// ShowAbout shows the 정보 window: versions and licenses.
func (x *Windows) ShowAbout() fyne.Window {
	if x.about == nil {
		x.about = newAboutWindow(x)
	}
	x.about.Show()
	x.about.RequestFocus()
	return x.about
}

// setupClose makes a window hide instead of closing when the windows are
// persistent, and forgets it when it really closes.
func (x *Windows) setupClose(w fyne.Window, forget func()) {
	if x.o.Persistent {
		w.SetCloseIntercept(w.Hide)
		return
	}
	w.SetOnClosed(forget)
}

// lastCertificate is what the app remembers of the certificate of the last
// successful login, for the diagnostics: public facts only.
type lastCertificate struct {
	Name      string    `json:"name"`
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	Serial    string    `json:"serial"`
	NotAfter  time.Time `json:"not_after"`
	Purpose   string    `json:"purpose"`
	PolicyOID string    `json:"policy_oid"`
	Location  string    `json:"location"`
	Path      string    `json:"path"`
	UsedAt    time.Time `json:"used_at"`
}

// Preference keys. The account password and the certificate password are
// never stored.
const (
	prefLastUser = "last_user_id"
	prefLastCert = "last_certificate" // JSON lastCertificate
)

func (x *Windows) rememberCertificate(in certstore.Info, now time.Time) {
	b, err := json.Marshal(lastCertificate{Name: in.Name, Subject: in.Subject, Issuer: in.Issuer, Serial: in.Serial,
		NotAfter: in.NotAfter, Purpose: purposeText(in), PolicyOID: in.PolicyOID, Location: string(in.Location),
		Path: in.Path, UsedAt: now})
	if err == nil {
		x.prefs().SetString(prefLastCert, string(b))
	}
}

func (x *Windows) lastCertificate() (lastCertificate, bool) {
	var c lastCertificate
	s := x.prefs().String(prefLastCert)
	if s == "" || json.Unmarshal([]byte(s), &c) != nil {
		return c, false
	}
	return c, true
}

// CallTimeout bounds quick calls to svpnd (profile, logout, diagnostics).
const CallTimeout = 20 * time.Second

const callTimeout = CallTimeout

// loginTimeout bounds a whole login: gateway round trips and the first
// handshake.
const loginTimeout = 60 * time.Second

func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d)
}
