package ui

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
)

// reportSection is one part of the diagnostics: a title and label/value
// rows, shown as a card and copied as text.
type reportSection struct {
	Title string
	Rows  [][2]string
}

// reportFacts is what the app itself knows, beside the daemon's snapshot.
type reportFacts struct {
	AppVersion  string
	Socket      string
	Lang        LanguageChoice
	Environment []string // translation keys
	LastCert    *lastCertificate
	Last        *lastFacts // what the app last saw, for when svpnd is down
	Now         time.Time
}

// buildReport lays the daemon's snapshot (nil with daemonErr when svpnd
// did not answer) out in the sections the helpdesk reads. It holds no
// secret: the snapshot has none and the certificate part is public facts.
func buildReport(d *api.Diagnostics, daemonErr error, f reportFacts) []reportSection {
	var out []reportSection
	add := func(s *reportSection, key, value string) {
		if value != "" {
			s.Rows = append(s.Rows, [2]string{T(key), value})
		}
	}
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Local().Format("2006-01-02 15:04:05")
	}

	conn := reportSection{Title: T("diag.connection")}
	if d == nil {
		p := Explain(daemonErr)
		add(&conn, "diag.state", p.String())
		add(&conn, "diag.note", T("diag.daemon_down"))
		add(&conn, "diag.socket", f.Socket)
	} else {
		st := d.Status
		add(&conn, "diag.state", StateText(st.State))
		add(&conn, "diag.gateway", strings.TrimSpace(d.Profile.Name+" "+d.Profile.GatewayURL))
		add(&conn, "diag.user", st.User)
		add(&conn, "diag.address", st.Address)
		add(&conn, "diag.endpoint", st.Endpoint)
		add(&conn, "diag.transport", TransportText(st))
		add(&conn, "diag.kill_switch", killSwitchDiag(st, f.Now))
		add(&conn, "diag.connected_at", ts(st.ConnectedAt))
		add(&conn, "diag.session_expires", ts(st.SessionExpiresAt))
		if st.Userspace {
			add(&conn, "diag.mode", T("diag.mode_userspace"))
		} else {
			add(&conn, "diag.mode", T("diag.mode_system"))
		}
		add(&conn, "diag.proxy", st.ProxyAddr)
		add(&conn, "diag.portal", st.PortalURL)
		add(&conn, "diag.portal_local", st.PortalLocalURL)
		if st.EndReason != "" {
			add(&conn, "diag.end_reason", EndReasonText(string(st.EndReason)))
		}
		if st.LastErrorCode != "" {
			// The catalogue's sentence; the gateway's raw words stay in
			// the saved bundle.
			add(&conn, "diag.last_error", ExplainCode(st.LastErrorCode).String())
		}
		add(&conn, "diag.socket", f.Socket)
	}
	out = append(out, conn)

	if l := f.Last; d == nil && l != nil {
		last := reportSection{Title: T("diag.last_known")}
		add(&last, "diag.last_seen", ts(l.At))
		add(&last, "diag.state", StateText(l.State))
		add(&last, "diag.gateway", l.Gateway)
		add(&last, "diag.user", l.User)
		add(&last, "diag.address", l.Address)
		if l.LastErrorCode != "" {
			add(&last, "diag.last_error", ExplainCode(l.LastErrorCode).String())
		}
		out = append(out, last)
	}

	cert := reportSection{Title: T("diag.certificate")}
	if c := f.LastCert; c != nil {
		add(&cert, "cert.name", c.Name)
		add(&cert, "cert.subject", dnText(c.Subject))
		add(&cert, "cert.issuer", dnText(c.Issuer))
		add(&cert, "cert.serial", formatSerial(c.Serial))
		add(&cert, "cert.not_after", ts(c.NotAfter))
		add(&cert, "cert.purpose", c.Purpose)
		add(&cert, "cert.policy", c.PolicyOID)
		add(&cert, "cert.location", locationText(certstore.Location(c.Location)))
		add(&cert, "cert.file", c.Path)
		add(&cert, "diag.cert_used_at", ts(c.UsedAt))
	} else {
		add(&cert, "diag.cert_none", T("diag.cert_none_detail"))
	}
	out = append(out, cert)

	if d != nil {
		st := d.Status
		net := reportSection{Title: T("diag.network")}
		add(&net, "diag.routes", strings.Join(st.Routes, ", "))
		dns := strings.Join(st.DNS, ", ")
		if dns != "" && st.DNSMethod != "" {
			dns += " (" + st.DNSMethod + ")"
		}
		add(&net, "diag.dns", dns)
		if st.MTU > 0 {
			add(&net, "diag.mtu", fmt.Sprint(st.MTU))
		}
		if !st.LastHandshake.IsZero() {
			add(&net, "diag.handshake", ts(st.LastHandshake)+" "+Tf("diag.ago", map[string]any{"S": int(f.Now.Sub(st.LastHandshake).Seconds())}))
		}
		if st.RxBytes+st.TxBytes > 0 {
			add(&net, "diag.traffic", Tf("diag.traffic_value", map[string]any{"Rx": humanBytes(st.RxBytes), "Tx": humanBytes(st.TxBytes)}))
		}
		if len(net.Rows) == 0 {
			add(&net, "diag.routes", T("diag.not_connected"))
		}
		out = append(out, net)

		post := reportSection{Title: T("diag.posture")}
		for _, av := range d.Posture.Antivirus {
			state := T("diag.av_enabled")
			if !av.Enabled {
				state = T("diag.av_disabled")
			}
			if av.UpToDate {
				state += ", " + T("diag.av_uptodate")
			} else {
				state += ", " + T("diag.av_outdated")
			}
			post.Rows = append(post.Rows, [2]string{av.Name, state})
		}
		if len(post.Rows) == 0 {
			add(&post, "diag.antivirus", T("diag.av_none"))
		}
		out = append(out, post)
	}

	ver := reportSection{Title: T("diag.versions")}
	add(&ver, "diag.app_version", f.AppVersion)
	if d != nil {
		keys := make([]string, 0, len(d.Versions))
		for k := range d.Versions {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ver.Rows = append(ver.Rows, [2]string{versionLabel(k), d.Versions[k]})
		}
		add(&ver, "diag.device", strings.TrimSpace(d.Device.Hostname+" "+d.Device.OS+" "+d.Device.OSVersion))
	} else {
		ver.Rows = append(ver.Rows, [2]string{versionLabel("go"), runtime.Version()}, [2]string{versionLabel("os"), runtime.GOOS + "/" + runtime.GOARCH})
	}
	out = append(out, ver)

	if d != nil {
		errs := reportSection{Title: T("diag.errors")}
		n := 0
		for i := len(d.Errors) - 1; i >= 0 && n < 20; i, n = i-1, n+1 {
			e := d.Errors[i]
			p := ExplainCode(e.Code)
			// The catalogue's sentence with its E-number; the raw message
			// (often the gateway's English) is in the saved bundle.
			errs.Rows = append(errs.Rows, [2]string{e.Time.Local().Format("01-02 15:04:05"), p.String()})
		}
		if len(errs.Rows) == 0 {
			add(&errs, "diag.errors", T("diag.no_errors"))
		}
		out = append(out, errs)
	}

	env := reportSection{Title: T("diag.environment")}
	langText := string(f.Lang.Lang)
	if f.Lang.System != "" {
		langText += " (" + T("diag.system_locale") + ": " + f.Lang.System + ")"
	}
	add(&env, "diag.language", langText)
	if f.Lang.Note != "" {
		add(&env, "diag.note", T(f.Lang.Note))
	}
	for _, k := range f.Environment {
		add(&env, "diag.note", T(k))
	}
	if d != nil {
		for _, n := range d.Notes {
			add(&env, "diag.daemon_note", daemonNoteText(n, d.Status))
		}
	}
	out = append(out, env)
	return out
}

// versionLabel names a component of the versions section (svpnd's
// Versions keys) in the UI language.
func versionLabel(k string) string {
	switch k {
	case "svpnd":
		return T("diag.version_svpnd")
	case "go":
		return T("diag.version_go")
	case "os":
		return T("diag.version_os")
	}
	return k
}

// userspaceNote starts the note svpnd adds in userspace mode (engine's
// Diagnostics); the app says it in the UI language.
const userspaceNote = "userspace mode:"

// daemonNoteText is a note of svpnd in the UI language when the app knows
// it; other notes are svpnd's own words.
func daemonNoteText(n string, st api.Status) string {
	if strings.HasPrefix(n, userspaceNote) {
		if st.ProxyAddr == "" {
			return T("diag.mode_userspace")
		}
		return Tf("diag.note_userspace", map[string]any{"Proxy": st.ProxyAddr})
	}
	return n
}

// StateText names a connection state in the UI language.
func StateText(s api.State) string {
	switch s {
	case api.StateDisconnected, api.StateAuthenticating, api.StatePasswordChangeRequired, api.StateConnecting,
		api.StateConnected, api.StateReconnecting:
		return T("state." + string(s))
	}
	return string(s)
}

func humanBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// reportText is the clipboard form of the report (복사).
func reportText(title string, sections []reportSection, helpdesk string, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s — %s\n", title, now.Local().Format("2006-01-02 15:04:05"))
	for _, s := range sections {
		fmt.Fprintf(&b, "\n[%s]\n", s.Title)
		for _, r := range s.Rows {
			v := strings.ReplaceAll(r[1], "\n", "\n    ")
			fmt.Fprintf(&b, "  %s: %s\n", r[0], v)
		}
	}
	if helpdesk != "" {
		fmt.Fprintf(&b, "\n%s\n", helpdesk)
	}
	return b.String()
}

// diagWindow is 진단 정보, for the helpdesk: the daemon's snapshot in
// readable sections, 복사 (clipboard text) and 저장 (the redacted support
// bundle), and the helpdesk contact.
type diagWindow struct {
	x        *Windows
	w        fyne.Window
	ctx      context.Context
	cancel   context.CancelFunc
	body     *fyne.Container
	helpdesk *widget.Label
	note     *widget.Label
	sections []reportSection
	loading  bool
	again    bool
	saving   *saveDialog // the last 저장 dialog (tests)
	scroll   *container.Scroll
	grid     *fyne.Container // the report's rows
	shape    string          // its sections' titles and row labels
	values   []*widget.Label // its values, in order
	buttons  []*keyButton    // 복사, 저장, 새로 고침, 닫기
}

func newDiagWindow(x *Windows) *diagWindow {
	dw := &diagWindow{x: x, w: x.fa.NewWindow(T("diag.title"))}
	dw.ctx, dw.cancel = context.WithCancel(context.Background())
	dw.w.SetIcon(AppIcon)
	dw.body = container.NewVBox(widget.NewLabel(T("diag.loading")))
	dw.helpdesk = caption("")
	dw.note = widget.NewLabel("")
	dw.note.Importance = widget.SuccessImportance
	dw.note.Hide()
	copyBtn := newKeyButton(T("diag.copy"), theme.ContentCopyIcon(), dw.copyText)
	copyBtn.Importance = widget.HighImportance
	saveBtn := newKeyButton(T("diag.save"), theme.DocumentSaveIcon(), dw.save)
	refreshBtn := newKeyButton(T("diag.refresh"), theme.ViewRefreshIcon(), dw.refresh)
	closeBtn := newKeyButton(T("common.close"), nil, func() { dw.w.Close() })
	dw.buttons = []*keyButton{copyBtn, saveBtn, refreshBtn, closeBtn}
	bottom := container.NewVBox(
		widget.NewSeparator(),
		dw.helpdesk,
		container.NewHBox(copyBtn, saveBtn, refreshBtn, dw.note, layout.NewSpacer(), closeBtn),
	)
	top := container.NewVBox(heading(T("diag.title")), caption(T("diag.intro")))
	var dense fyne.CanvasObject = dw.body
	if _, ok := x.fa.Settings().Theme().(compactTheme); !ok {
		dense = container.NewThemeOverride(dw.body, compactTheme{})
	}
	dw.scroll = container.NewVScroll(dense)
	dw.w.SetContent(container.NewPadded(container.NewBorder(top, bottom, nil, nil, dw.scroll)))
	dw.w.Resize(fyne.NewSize(720, 640))
	dw.w.CenterOnScreen()
	x.setupClose(dw.w, func() {
		dw.cancel()
		x.diag = nil
	})
	// The keyboard: Tab goes through 복사, 저장, 새로 고침, 닫기 (the focus
	// starts on 복사, what the helpdesk asks for), Enter presses, Escape
	// closes wherever the focus is.
	escapeCloses(dw.w, dw.buttons...)
	dw.w.Canvas().Focus(copyBtn)
	// Follow the connection: a new snapshot whenever the status changes.
	go WatchDaemon(dw.ctx, x.o.Daemon,
		func(api.Status) { dw.x.onMain(dw.ctx, dw.refresh) },
		func(error) { dw.x.onMain(dw.ctx, dw.refresh) })
	return dw
}

// refresh asks svpnd for a new snapshot (one at a time; a change during
// a request triggers one more).
func (dw *diagWindow) refresh() {
	if dw.loading {
		dw.again = true
		return
	}
	dw.loading = true
	d := dw.x.o.Daemon
	go func() {
		ctx, cancel := withTimeout(dw.ctx, callTimeout)
		snap, err := d.Diagnostics(ctx)
		var prof *api.ProfileInfo
		if err == nil && snap.Profile.Helpdesk == "" {
			prof, _ = d.Profile(ctx)
		}
		cancel()
		dw.x.onMain(dw.ctx, func() {
			dw.loading = false
			dw.show(snap, err, prof)
			if dw.again {
				dw.again = false
				dw.refresh()
			}
		})
	}()
}

func (dw *diagWindow) facts() reportFacts {
	f := reportFacts{AppVersion: dw.x.o.Version, Socket: dw.x.o.Socket, Lang: dw.x.o.Lang,
		Environment: dw.x.o.Environment, Now: dw.x.o.Now()}
	if c, ok := dw.x.lastCertificate(); ok {
		f.LastCert = &c
	}
	if l, ok := dw.x.lastFacts(); ok {
		f.Last = &l
	}
	return f
}

func (dw *diagWindow) show(snap *api.Diagnostics, err error, prof *api.ProfileInfo) {
	if err != nil {
		snap = nil
	}
	if snap != nil {
		// Remembered for the day svpnd is down and the person calls.
		dw.x.rememberHelpdesk(snap.Profile.Helpdesk)
		dw.x.RememberProfile(prof)
		dw.x.RememberStatus(snap.Status, strings.TrimSpace(snap.Profile.Name+" "+snap.Profile.GatewayURL), dw.x.o.Now())
	}
	dw.sections = buildReport(snap, err, dw.facts())
	dw.layoutReport()
	help := ""
	if snap != nil {
		help = snap.Profile.Helpdesk
	}
	if help == "" {
		help = helpdeskOf(prof)
	}
	if help == "" {
		help = dw.x.rememberedHelpdesk()
	}
	if help == "" {
		help = T("diag.helpdesk_unknown")
	}
	dw.helpdesk.SetText(help)
}

// layoutReport shows dw.sections: in one grid for every section, so that
// the values of all sections start at the same x, a section's title and
// the line under it being rows of their own. When only values changed (a
// status change refreshes the window while someone reads it), the labels
// are updated in place: rebuilt labels, not yet laid out, report a short
// content for a frame and the scroll position jumped to fit it.
func (dw *diagWindow) layoutReport() {
	var shape strings.Builder
	for _, s := range dw.sections {
		shape.WriteString(s.Title + "\x00")
		for _, r := range s.Rows {
			shape.WriteString(r[0] + "\x01")
		}
	}
	if dw.grid != nil && shape.String() == dw.shape {
		i := 0
		for _, s := range dw.sections {
			for _, r := range s.Rows {
				dw.values[i].SetText(r[1])
				i++
			}
		}
		return
	}
	dw.shape = shape.String()
	dw.values = dw.values[:0]
	grid := container.New(layout.NewFormLayout())
	for _, s := range dw.sections {
		h := bold(s.Title)
		h.Importance = widget.HighImportance
		grid.Add(h)
		grid.Add(layout.NewSpacer())
		for _, r := range s.Rows {
			v := widget.NewLabel(r[1])
			v.Wrapping = fyne.TextWrapWord
			v.Selectable = true
			grid.Add(widget.NewLabelWithStyle(r[0], fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
			grid.Add(v)
			dw.values = append(dw.values, v)
		}
		grid.Add(widget.NewSeparator())
		grid.Add(widget.NewSeparator())
	}
	dw.body.RemoveAll()
	dw.body.Add(grid)
	dw.grid = grid
}

// Text is the clipboard text of what the window shows.
func (dw *diagWindow) Text() string {
	return reportText(T("diag.title"), dw.sections, dw.helpdesk.Text, dw.x.o.Now())
}

func (dw *diagWindow) copyText() {
	dw.x.fa.Clipboard().SetContent(dw.Text())
	dw.flash(T("diag.copied"))
}

func (dw *diagWindow) flash(text string) {
	dw.note.SetText(text)
	dw.note.Show()
	go func() {
		t := time.NewTimer(4 * time.Second)
		defer t.Stop()
		select {
		case <-t.C:
			dw.x.onMain(dw.ctx, dw.note.Hide)
		case <-dw.ctx.Done():
		}
	}()
}

// save is 저장: the support bundle (zip, secrets redacted by svpnd), to a
// folder chosen in saveDialog. The file is the user's alone (0600): it
// describes their connection.
func (dw *diagWindow) save() {
	home, _ := os.UserHomeDir()
	name := "svpn-diag-" + dw.x.o.Now().Format("20060102-150405") + ".zip"
	dw.saving = showSaveDialog(dw.w, T("diag.save"), name, savePlaces(home, os.Getenv), func(path string) error {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		dm := dw.x.o.Daemon
		go func() {
			ctx, cancel := withTimeout(dw.ctx, 60*time.Second)
			err := dm.Bundle(ctx, f)
			cancel()
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				os.Remove(path) // no half-written bundle left behind
			}
			dw.x.onMain(dw.ctx, func() {
				if err != nil {
					p := Explain(err)
					dialog.ShowInformation(T("diag.save"), p.String(), dw.w)
					return
				}
				dw.flash(Tf("diag.saved", map[string]any{"Path": path}))
			})
		}()
		return nil
	})
}
