package ui

import (
	"context"
	"fmt"
	"image/color"
	"maps"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/certstore/token"
)

// pickerWindow is 인증서 선택: where the certificate is (하드디스크,
// 이동식디스크, 보안토큰, 찾아보기), the certificates there, the
// certificate password, 확인 · 취소 · 인증서 보기. The key is decrypted
// and the login challenge signed in this process.
type pickerWindow struct {
	x      *Windows
	flow   *loginFlow
	w      fyne.Window
	ctx    context.Context
	cancel context.CancelFunc

	locButtons map[certstore.Location]*keyButton
	tokenBtn   *keyButton
	tok        *tokenTab     // 보안토큰 (token.go)
	pwForm     *widget.Form  // its label turns to PIN on the token tab
	caseNote   *widget.Label // or the PIN's tries-left warning
	intro      *widget.Label // the instructions: password, or PIN on the token tab
	table      *certTable
	empty      *widget.Label
	password   *secretEntry
	capsHint   *widget.Label
	problem    *problemView
	progress   *progressView
	okBtn      *keyButton
	cancelBtn  *keyButton
	viewBtn    *keyButton

	all      []certRow // everything scanned
	files    []certRow // browsed to with 찾아보기
	shown    []certRow // the current location's rows
	loc      certstore.Location
	userLoc  bool   // the user chose the location
	selected string // path of the selected row
	busy     bool
	done     bool // closed by the flow, not cancelled
	details  *dialog.CustomDialog
	scanned  bool
}

var pickerColumns = []string{"picker.col_user", "picker.col_issuer", "picker.col_purpose", "picker.col_validity"}

// pickerColumnWidths are the table's column widths (Fyne units, scaled
// with the UI).
var pickerColumnWidths = []float32{170, 150, 170, 196}

func newPickerWindow(x *Windows, f *loginFlow) *pickerWindow {
	p := &pickerWindow{x: x, flow: f, w: x.fa.NewWindow(T("picker.title")), locButtons: map[certstore.Location]*keyButton{}}
	p.ctx, p.cancel = context.WithCancel(f.lw.ctx)
	p.w.SetIcon(AppIcon)
	p.loc = certstore.LocationDisk
	if c, ok := x.lastCertificate(); ok && c.Location != "" {
		p.selected = c.Path
		p.loc = certstore.Location(c.Location)
	}
	p.tok = newTokenTab(p)
	p.build()
	p.w.Resize(fyne.NewSize(720, 540))
	p.w.CenterOnScreen()
	p.w.SetOnClosed(func() {
		p.cancel()
		if !p.done {
			f.pickerClosed()
		}
	})
	p.w.Canvas().SetOnTypedKey(func(k *fyne.KeyEvent) {
		if k.Name == fyne.KeyEscape {
			p.escape()
		}
	})
	p.w.Show()
	p.w.Canvas().Focus(p.password)
	go p.watchSources()
	go p.tok.watch()
	return p
}

func (p *pickerWindow) build() {
	loc := func(l certstore.Location, key string, icon fyne.Resource) {
		b := newKeyButton(T(key), icon, func() { p.userLoc = true; p.setLocation(l) })
		p.locButtons[l] = b
	}
	loc(certstore.LocationDisk, "picker.loc_disk", theme.ComputerIcon())
	loc(certstore.LocationRemovable, "picker.loc_removable", theme.StorageIcon())
	loc(certstore.LocationToken, "picker.loc_token", theme.AccountIcon())
	p.tokenBtn = p.locButtons[certstore.LocationToken]
	browse := newKeyButton(T("picker.browse"), theme.FolderOpenIcon(), p.browse)
	p.locButtons[certstore.LocationFile] = browse
	locRow := container.NewGridWithColumns(4, p.locButtons[certstore.LocationDisk], p.locButtons[certstore.LocationRemovable], p.tokenBtn, browse)
	tokenHint := p.tok.hint

	p.table = newCertTable(p)
	p.empty = wrapped(T("picker.scanning"))
	p.empty.Alignment = fyne.TextAlignCenter
	// Readable (Fyne's low importance is the disabled colour), and alone:
	// the table, with its column lines, goes while there is nothing in it.
	p.empty.Importance = widget.MediumImportance
	tableBox := container.NewStack(p.table, container.NewCenter(container.NewGridWrap(fyne.NewSize(460, 80), p.empty)))

	p.password = newSecretEntry()
	p.password.SetPlaceHolder(T("picker.password_placeholder"))
	p.password.OnSubmitted = func(string) { p.submit() }
	p.password.onEscape = p.escape
	p.capsHint = widget.NewLabel(T("common.caps_lock_on"))
	p.capsHint.Importance = widget.WarningImportance
	p.capsHint.SizeName = theme.SizeNameCaptionText
	p.capsHint.Hide()
	p.password.onCaps = func(on bool) { setVisible(p.capsHint, on) }
	pwForm := widget.NewForm(widget.NewFormItem(T("picker.password"), p.password))
	caseNote := widget.NewLabel(T("picker.case_sensitive"))
	caseNote.SizeName = theme.SizeNameCaptionText
	p.pwForm, p.caseNote = pwForm, caseNote

	p.problem = newProblemView(p.x.opener(p.w))
	p.progress = newProgressView()

	p.okBtn = newKeyButton(T("common.ok"), theme.ConfirmIcon(), p.submit)
	p.okBtn.Importance = widget.HighImportance
	p.cancelBtn = newKeyButton(T("common.cancel"), theme.CancelIcon(), func() { p.close(false) })
	p.viewBtn = newKeyButton(T("picker.view"), theme.DocumentIcon(), p.showDetails)
	buttons := container.NewHBox(p.viewBtn, layout.NewSpacer(), p.okBtn, p.cancelBtn)
	// Enter presses a focused button; Escape on any of them cancels, as
	// it does from the password and the table.
	for _, b := range append([]*keyButton{p.okBtn, p.cancelBtn, p.viewBtn, browse}, slices.Collect(maps.Values(p.locButtons))...) {
		b.onEscape = p.escape
	}

	p.intro = caption(T("picker.instructions"))
	top := container.NewVBox(
		heading(T("picker.title")),
		p.intro,
		locRow,
		tokenHint,
	)
	bottom := container.NewVBox(
		pwForm,
		container.NewHBox(caseNote, p.capsHint),
		p.progress.box,
		p.problem.box,
		widget.NewSeparator(),
		buttons,
	)
	p.w.SetContent(container.NewPadded(container.NewBorder(top, bottom, nil, nil, tableBox)))
	p.updateLocationButtons()
}

// watchSources scans now and again whenever a drive is plugged in or pulled
// out (or a certificate added), until the window closes.
func (p *pickerWindow) watchSources() {
	last := ""
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		srcs := p.x.o.Sources()
		if fp := sourcesFingerprint(srcs); fp != last {
			last = fp
			ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
			rows, code := scanCertificates(ctx, srcs, p.x.o.Now())
			cancel()
			p.x.onMain(p.ctx, func() { p.setRows(rows, code) })
		}
		select {
		case <-p.ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// setRows replaces the scanned certificates, keeping the selection when it
// is still there, and picks a location the first time.
func (p *pickerWindow) setRows(rows []certRow, scanErr api.Code) {
	p.all = rows
	first := !p.scanned
	p.scanned = true
	if !p.userLoc {
		// Start where the last used certificate was, else where there is
		// a certificate (the hard disk first, as staff expect); follow a
		// drive plugged in while the current location is empty.
		if first && p.selected != "" && len(rowsAt(rows, p.loc)) > 0 {
			// keep p.loc
		} else if len(rowsAt(rows, p.loc)) == 0 {
			for _, l := range []certstore.Location{certstore.LocationDisk, certstore.LocationRemovable} {
				if len(rowsAt(rows, l)) > 0 {
					p.loc = l
					break
				}
			}
		}
	}
	p.setLocation(p.loc)
	if scanErr != "" && len(p.shown) == 0 {
		pr := ExplainCode(scanErr)
		p.problem.Set(&pr, "")
	}
}

func (p *pickerWindow) setLocation(l certstore.Location) {
	p.loc = l
	if l == certstore.LocationFile {
		p.shown = p.files
	} else if l == certstore.LocationToken {
		p.shown = p.tok.rows
	} else {
		p.shown = rowsAt(p.all, l)
	}
	p.updateLocationButtons()
	idx := p.selectedIndex()
	if idx < 0 {
		// Preselect the first usable certificate: the usual case is one
		// certificate, and then the user only types its password.
		p.selected = ""
		if len(p.shown) > 0 && p.shown[0].Usable() {
			p.selected = p.shown[0].Path
			idx = 0
		}
	}
	switch {
	case !p.scanned && l != certstore.LocationFile && l != certstore.LocationToken:
		p.empty.SetText(T("picker.scanning"))
		p.empty.Show()
	case len(p.shown) == 0 && l == certstore.LocationFile:
		p.empty.SetText(T("picker.empty_file"))
		p.empty.Show()
	case len(p.shown) == 0 && l == certstore.LocationToken:
		p.empty.SetText(p.tok.emptyText())
		p.empty.Show()
	case len(p.shown) == 0 && l == certstore.LocationRemovable:
		p.empty.SetText(T("picker.empty_removable"))
		p.empty.Show()
	case len(p.shown) == 0:
		p.empty.SetText(T("picker.empty_disk"))
		p.empty.Show()
	default:
		p.empty.Hide()
	}
	setVisible(p.table, !p.empty.Visible())
	p.table.Refresh()
	if idx >= 0 {
		p.table.ScrollTo(widget.TableCellID{Row: idx, Col: 0})
	}
	p.updateButtons()
	p.tok.locationChanged()
}

func (p *pickerWindow) updateLocationButtons() {
	for l, b := range p.locButtons {
		if l == p.loc {
			b.Importance = widget.HighImportance
		} else {
			b.Importance = widget.MediumImportance
		}
		b.Refresh()
	}
}

func (p *pickerWindow) selectedIndex() int {
	for i, r := range p.shown {
		if p.selected != "" && r.Path == p.selected {
			return i
		}
	}
	return -1
}

func (p *pickerWindow) selectedRow() (certRow, bool) {
	if i := p.selectedIndex(); i >= 0 {
		return p.shown[i], true
	}
	return certRow{}, false
}

func (p *pickerWindow) selectRow(i int) {
	if i < 0 || i >= len(p.shown) || p.busy {
		return
	}
	p.selected = p.shown[i].Path
	p.problem.Set(nil, "")
	p.table.Refresh()
	p.updateButtons()
	p.tok.locationChanged()
}

func (p *pickerWindow) updateButtons() {
	_, ok := p.selectedRow()
	if ok && !p.busy {
		p.viewBtn.Enable()
		p.okBtn.Enable()
	} else {
		p.viewBtn.Disable()
		p.okBtn.Disable()
	}
	if p.busy {
		p.password.Disable()
		p.table.disabled = true
	} else {
		p.password.Enable()
		p.table.disabled = false
	}
}

func (p *pickerWindow) setBusy(text string) {
	p.busy = text != ""
	if p.busy {
		p.progress.Start(text)
		p.problem.Set(nil, "")
	} else {
		p.progress.Stop()
	}
	p.updateButtons()
	for _, b := range p.locButtons {
		if p.busy {
			b.Disable()
		} else {
			b.Enable()
		}
	}
}

// browse is 찾아보기: a PKCS#12 file (.pfx, .p12).
func (p *pickerWindow) browse() {
	p.userLoc = true
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			p.setLocation(certstore.LocationFile)
			return
		}
		path := r.URI().Path()
		r.Close()
		row, err := loadFile(path, p.x.o.Now())
		if err != nil {
			pr := Explain(err)
			p.problem.Set(&pr, "")
			p.setLocation(certstore.LocationFile)
			return
		}
		p.files = append(removeRow(p.files, path), row)
		p.selected = row.Path
		p.setLocation(certstore.LocationFile)
	}, p.w)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".pfx", ".p12", ".PFX", ".P12"}))
	d.Resize(fyne.NewSize(680, 480))
	d.Show()
}

func removeRow(rows []certRow, path string) []certRow {
	var out []certRow
	for _, r := range rows {
		if r.Path != path {
			out = append(out, r)
		}
	}
	return out
}

func (p *pickerWindow) localProblem(key string) {
	p.problem.Set(&Problem{Text: T(key)}, "")
}

// submit is 확인: unlock the certificate here, then log in through svpnd.
// A wrong certificate password, and anything wrong with the certificate,
// is reported in place.
func (p *pickerWindow) submit() {
	if p.busy {
		return
	}
	row, ok := p.selectedRow()
	switch {
	case !ok:
		p.localProblem("picker.need_certificate")
		return
	case row.Token != nil && row.Token.Unusable != "":
		p.problem.Set(&Problem{Code: api.CodeTokenKeyMissing, Number: api.Number(api.CodeTokenKeyMissing),
			Text: ExplainCode(api.CodeTokenKeyMissing).Text + " (" + row.Token.Unusable + ")"}, "")
		return
	case p.password.Text == "" && row.Token != nil:
		p.localProblem("picker.token_need_pin")
		p.w.Canvas().Focus(p.password)
		return
	case p.password.Text == "":
		p.localProblem("picker.need_password")
		p.w.Canvas().Focus(p.password)
		return
	case !row.Locked && row.Info.Expired:
		pr := ExplainCode(api.CodeCertificateExpired)
		p.problem.Set(&pr, "")
		return
	case !row.Locked && row.Info.NotYetValid:
		pr := ExplainCode(api.CodeCertificateNotYetValid)
		p.problem.Set(&pr, "")
		return
	}
	pw := []byte(p.password.Text)
	p.setBusy(T("picker.unlocking"))
	f := p.flow
	go func() {
		var id *certstore.Identity
		var tid *token.Identity
		var err error
		if row.Token != nil {
			if tid, err = p.tok.unlock(row, pw); err == nil {
				id = tid.Identity
			}
		} else {
			id, err = unlockRow(row, pw)
		}
		clear(pw)
		p.x.onMain(p.ctx, func() {
			if err != nil {
				p.setBusy("")
				pr := tokenProblem(err)
				p.problem.Set(&pr, f.lw.helpdeskText())
				if pr.Code == api.CodeCertPasswordWrong || pr.Code == api.CodeTokenPINWrong {
					p.password.SetText("")
				}
				p.w.Canvas().Focus(p.password)
				return
			}
			f.id, f.row = id, row
			f.tokenID = tid
			if row.Locked {
				f.row.Info = id.Certificate.Info(p.x.o.Now())
			}
			p.setBusy(T("picker.connecting"))
			f.login("", p.loginDone)
		})
	}()
}

// loginDone routes the gateway's answer: problems with the certificate
// stay here (choose another), a first login goes on to the password
// change, anything else back to the login window.
func (p *pickerWindow) loginDone(st api.Status, err error) {
	f := p.flow
	p.setBusy("")
	code := CodeOfError(err)
	switch {
	case err == nil:
		p.close(true)
		f.connected(st)
	case code == api.CodePasswordChangeRequired:
		p.close(true)
		f.passwordChange()
	case isCertificateProblem(code):
		f.forgetKey()
		pr := tokenProblem(err)
		p.problem.Set(&pr, f.lw.helpdeskText())
	default:
		p.close(true)
		f.failed(err)
	}
}

// isCertificateProblem: codes about the chosen certificate, which the user
// can fix in the picker by choosing another one.
func isCertificateProblem(c api.Code) bool {
	e, ok := api.Lookup(c)
	return ok && e.Kind == api.KindCertificate
}

// escape closes the certificate details if open, else the picker.
func (p *pickerWindow) escape() {
	if p.details != nil {
		p.details.Hide()
		return
	}
	p.close(false)
}

// close closes the picker; done says the flow goes on elsewhere.
func (p *pickerWindow) close(done bool) {
	if p.busy && !done {
		return
	}
	p.done = done
	if done {
		p.flow.pickerDone()
	}
	p.w.Close()
}

// showDetails is 인증서 보기.
func (p *pickerWindow) showDetails() {
	row, ok := p.selectedRow()
	if !ok {
		return
	}
	in := row.Info
	form := container.New(layout.NewFormLayout())
	add := func(key, value string) {
		v := widget.NewLabel(value)
		v.Wrapping = fyne.TextWrapBreak
		if key == "cert.subject" || key == "cert.issuer" {
			// A name wraps between its parts, not inside one.
			v.SetText(dnText(value))
			v.Wrapping = fyne.TextWrapWord
		}
		form.Add(bold(T(key)))
		form.Add(v)
	}
	if row.Locked {
		add("cert.file", row.Path)
		add("cert.format", "PKCS#12")
		add("cert.note", T("picker.locked_note"))
	} else {
		add("cert.name", in.Name)
		add("cert.subject", in.Subject)
		add("cert.issuer", in.Issuer)
		add("cert.serial", formatSerial(in.Serial))
		add("cert.validity", in.NotBefore.Local().Format("2006-01-02 15:04")+" ~ "+in.NotAfter.Local().Format("2006-01-02 15:04")+" "+strings.TrimSpace(validityMark(in)))
		add("cert.purpose", purposeText(in))
		add("cert.policy", in.PolicyOID)
		add("cert.ca", issuerText(in))
		add("cert.format", kindText(in.Kind))
		add("cert.location", locationText(in.Location))
		add("cert.file", in.Path)
		if row.Token != nil {
			add("picker.token_label", row.Token.Token.Label+" ("+row.Token.Token.Manufacturer+", "+row.Token.Token.Model+")")
			if row.Token.Unusable != "" {
				add("picker.token_unusable", row.Token.Unusable)
			}
		}
	}
	d := dialog.NewCustom(T("picker.details_title"), T("common.close"), container.NewVScroll(form), p.w)
	d.SetOnClosed(func() {
		p.details = nil
		p.w.Canvas().Focus(p.password)
	})
	d.Resize(fyne.NewSize(660, 480))
	p.details = d
	d.Show()
}

func validityMark(in certstore.Info) string {
	switch {
	case in.Expired:
		return T("picker.expired")
	case in.NotYetValid:
		return T("picker.not_yet_valid")
	case in.ExpiringSoon:
		return Tf("picker.days_left", map[string]any{"N": in.DaysLeft})
	}
	return ""
}

// formatSerial writes a hex serial in colon-separated bytes, as
// certificate viewers do.
func formatSerial(hex string) string {
	if len(hex)%2 == 1 {
		hex = "0" + hex
	}
	var parts []string
	for i := 0; i < len(hex); i += 2 {
		parts = append(parts, strings.ToUpper(hex[i:i+2]))
	}
	return strings.Join(parts, ":")
}

func kindText(k certstore.Kind) string {
	switch k {
	case certstore.KindNPKI:
		return "NPKI"
	case certstore.KindGPKI:
		return "GPKI"
	case certstore.KindPKCS12:
		return "PKCS#12"
	case certstore.KindToken:
		return "PKCS#11"
	}
	return string(k)
}

func locationText(l certstore.Location) string {
	switch l {
	case certstore.LocationDisk:
		return T("picker.loc_disk")
	case certstore.LocationRemovable:
		return T("picker.loc_removable")
	case certstore.LocationFile:
		return T("picker.browse")
	case certstore.LocationToken:
		return T("picker.loc_token")
	}
	return string(l)
}

// certTable is the picker's table: a row is selected as a whole, and the
// arrow keys move the selection (Fyne's table moves a cell focus only).
type certTable struct {
	widget.Table
	p        *pickerWindow
	disabled bool
}

func newCertTable(p *pickerWindow) *certTable {
	t := &certTable{p: p}
	t.Length = func() (int, int) { return len(p.shown), len(pickerColumns) }
	t.CreateCell = func() fyne.CanvasObject {
		bg := canvas.NewRectangle(color.Transparent)
		l := widget.NewLabel("")
		l.Truncation = fyne.TextTruncateEllipsis
		return container.NewStack(bg, l)
	}
	t.UpdateCell = func(id widget.TableCellID, o fyne.CanvasObject) {
		st := o.(*fyne.Container)
		bg, l := st.Objects[0].(*canvas.Rectangle), st.Objects[1].(*widget.Label)
		if id.Row >= len(p.shown) {
			return
		}
		r := p.shown[id.Row]
		l.Importance = widget.MediumImportance
		l.TextStyle = fyne.TextStyle{}
		switch id.Col {
		case 0:
			l.SetText(r.Info.Name)
		case 1:
			if r.Locked {
				l.SetText("-")
			} else {
				l.SetText(issuerText(r.Info))
			}
		case 2:
			if r.Locked {
				l.SetText(T("picker.locked"))
			} else {
				l.SetText(purposeText(r.Info))
			}
		case 3:
			if r.Locked {
				l.SetText("-")
			} else {
				l.SetText(validityText(r.Info))
			}
			switch {
			case r.Token != nil && r.Token.Unusable != "":
				l.SetText(T("picker.token_unusable"))
				l.Importance = widget.DangerImportance
			case r.Info.Expired || r.Info.NotYetValid:
				l.Importance = widget.DangerImportance
			case r.Info.ExpiringSoon:
				l.Importance = widget.WarningImportance
			}
		}
		if r.Path == p.selected {
			bg.FillColor = theme.Color(theme.ColorNameSelection)
			l.TextStyle.Bold = true
		} else {
			bg.FillColor = color.Transparent
		}
		bg.Refresh()
		l.Refresh()
	}
	t.ShowHeaderRow = true
	t.CreateHeader = func() fyne.CanvasObject { return bold("") }
	t.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Col >= 0 && id.Col < len(pickerColumns) {
			o.(*widget.Label).SetText(T(pickerColumns[id.Col]))
		}
	}
	t.OnSelected = func(id widget.TableCellID) {
		if id.Row >= 0 {
			p.selectRow(id.Row)
		}
		t.UnselectAll()
	}
	t.ExtendBaseWidget(t)
	for i, w := range pickerColumnWidths {
		t.SetColumnWidth(i, w)
	}
	return t
}

// TypedKey moves the selected row with the arrow keys; Enter goes to the
// password field.
func (t *certTable) TypedKey(e *fyne.KeyEvent) {
	p := t.p
	if t.disabled {
		return
	}
	i := p.selectedIndex()
	switch e.Name {
	case fyne.KeyDown:
		p.selectRow(min(i+1, len(p.shown)-1))
	case fyne.KeyUp:
		p.selectRow(max(i-1, 0))
	case fyne.KeyReturn, fyne.KeyEnter:
		p.w.Canvas().Focus(p.password)
	case fyne.KeyEscape:
		p.escape()
		return
	default:
		t.Table.TypedKey(e)
		return
	}
	if j := p.selectedIndex(); j >= 0 {
		t.ScrollTo(widget.TableCellID{Row: j, Col: 0})
	}
}

// String describes a row for tests and logs.
func (r certRow) String() string {
	return fmt.Sprintf("%s | %s | %s | %s", r.Info.Name, issuerText(r.Info), purposeText(r.Info), validityText(r.Info))
}
