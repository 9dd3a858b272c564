package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certmove"
	"github.com/opensvpn/svpn/certstore"
)

// 인증서 이동: the window that sends a certificate to another PC (보내기)
// or receives one (받기). This process runs the whole protocol (package
// certmove): svpnd only relays opaque messages and adds the session token
// to the sender's first call, so the code's secret digits, the key and
// the files never leave the app.

// certMoveButton is the login window's entry to 인증서 이동; one window
// at a time, closed with the login window.
func (lw *loginWindow) certMoveButton() fyne.CanvasObject {
	var open *certMoveWindow
	b := newKeyButton(T("cert.move_title"), theme.MailForwardIcon(), func() {
		if open != nil {
			open.w.RequestFocus()
			return
		}
		open = newCertMoveWindow(lw.x, lw.ctx, strings.TrimSpace(lw.user.Text))
		open.onClosed = func() { open = nil }
		open.w.Show()
	})
	b.Importance = widget.LowImportance
	return b
}

// certMoveWindow holds both pages; state is touched on Fyne's goroutine.
type certMoveWindow struct {
	x      *Windows
	w      fyne.Window
	ctx    context.Context
	cancel context.CancelFunc
	relay  certmove.Relay
	tabs   *container.AppTabs
	// onClosed, if set, runs when the window closes.
	onClosed func()

	// 보내기
	certs      *widget.RadioGroup
	certRows   map[string]certRow
	noCerts    *widget.Label
	sendBtn    *keyButton
	codeText   *canvas.Text
	sendHint   *widget.Label
	countdown  *widget.Label
	sendProg   *progressView
	sendProb   *problemView
	sentLabel  *widget.Label
	deleteBtn  *keyButton
	sending    bool
	sentCert   *certstore.Certificate
	expires    time.Time
	stopTicker context.CancelFunc

	// 받기
	user       *widget.Entry
	code       *widget.Entry
	location   *widget.RadioGroup
	drive      *widget.Select
	recvBtn    *keyButton
	recvProg   *progressView
	recvProb   *problemView
	recvDone   *widget.Label
	receiving  bool
	receivedAt string
}

// certMoveWidth is the window's width (Fyne units).
const certMoveWidth = 460

func newCertMoveWindow(x *Windows, parent context.Context, user string) *certMoveWindow {
	m := &certMoveWindow{x: x, w: x.fa.NewWindow(T("cert.move_title")), certRows: map[string]certRow{}}
	m.ctx, m.cancel = context.WithCancel(parent)
	m.relay, _ = x.o.Daemon.(certmove.Relay)
	m.w.SetIcon(AppIcon)
	m.build(user)
	m.w.Resize(fyne.NewSize(certMoveWidth, 10))
	m.w.CenterOnScreen()
	closed := make(chan struct{})
	m.w.SetOnClosed(func() {
		close(closed)
		m.cancel() // stops this window's calls and timers
		if m.onClosed != nil {
			m.onClosed()
		}
	})
	go func() { // the login window closing closes this one too
		select {
		case <-parent.Done():
			m.x.do(func() {
				select {
				case <-closed:
				default:
					m.w.Close()
				}
			})
		case <-closed:
		}
	}()
	m.scan()
	return m
}

func (m *certMoveWindow) build(user string) {
	// 보내기
	m.certs = widget.NewRadioGroup(nil, func(string) { m.updateSend() })
	m.noCerts = wrapped(T("cert.move_no_certs"))
	m.noCerts.Hide()
	m.sendBtn = newKeyButton(T("cert.move_start"), theme.MailSendIcon(), m.startSend)
	m.sendBtn.Importance = widget.HighImportance
	m.sendBtn.Disable()
	m.codeText = canvas.NewText("", theme.Color(theme.ColorNamePrimary))
	m.codeText.TextSize = 32
	m.codeText.TextStyle = fyne.TextStyle{Bold: true} // the app's Hangul font has no monospace face; digits are tabular anyway
	m.codeText.Alignment = fyne.TextAlignCenter
	m.codeText.Hide()
	m.sendHint = bold(T("cert.move_enter_on_other"))
	m.sendHint.Alignment = fyne.TextAlignCenter
	m.sendHint.Hide()
	m.countdown = widget.NewLabel("")
	m.countdown.Alignment = fyne.TextAlignCenter
	m.countdown.Hide()
	m.sendProg = newProgressView()
	m.sendProb = newProblemView(m.x.opener(m.w))
	m.sentLabel = wrapped("")
	m.sentLabel.Hide()
	m.deleteBtn = newKeyButton(T("cert.move_delete"), theme.DeleteIcon(), m.deleteSent)
	m.deleteBtn.Hide()
	sendPage := container.NewVBox(
		wrapped(T("cert.move_send_intro")),
		m.certs, m.noCerts, m.sendBtn,
		m.codeText, m.sendHint, m.countdown,
		m.sendProg.box, m.sendProb.box, m.sentLabel, m.deleteBtn,
	)

	// 받기
	m.user = widget.NewEntry()
	m.user.SetText(user)
	m.user.SetPlaceHolder(T("login.user_placeholder"))
	m.code = widget.NewEntry()
	m.code.SetPlaceHolder("0000-0000-0000")
	m.code.OnSubmitted = func(string) { m.startReceive() }
	m.drive = widget.NewSelect(nil, nil)
	m.drive.Hide()
	m.location = widget.NewRadioGroup([]string{T("picker.loc_disk"), T("picker.loc_removable")}, func(string) { m.updateDrives() })
	m.location.Horizontal = true
	m.location.SetSelected(T("picker.loc_disk"))
	m.recvBtn = newKeyButton(T("cert.move_receive"), theme.DownloadIcon(), m.startReceive)
	m.recvBtn.Importance = widget.HighImportance
	m.recvProg = newProgressView()
	m.recvProb = newProblemView(m.x.opener(m.w))
	m.recvDone = wrapped("")
	m.recvDone.Importance = widget.SuccessImportance
	m.recvDone.Hide()
	form := widget.NewForm(
		widget.NewFormItem(T("login.user"), m.user),
		widget.NewFormItem(T("cert.move_code"), m.code),
		widget.NewFormItem(T("cert.move_save_to"), container.NewVBox(m.location, m.drive)),
	)
	recvPage := container.NewVBox(wrapped(T("cert.move_receive_intro")), form, m.recvBtn, m.recvProg.box, m.recvProb.box, m.recvDone)

	m.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon(T("cert.move_send"), theme.UploadIcon(), sendPage),
		container.NewTabItemWithIcon(T("cert.move_receive"), theme.DownloadIcon(), recvPage),
	)
	m.tabs.OnSelected = func(*container.TabItem) { m.fit() }
	closeBtn := newKeyButton(T("common.close"), nil, func() { m.w.Close() })
	for _, b := range []*keyButton{m.sendBtn, m.deleteBtn, m.recvBtn, closeBtn} {
		b.onEscape = m.w.Close
	}
	m.w.SetContent(container.NewPadded(container.NewBorder(caption(T("cert.move_intro")), container.NewHBox(layout.NewSpacer(), closeBtn), nil, nil, m.tabs)))
}

func (m *certMoveWindow) fit() { m.x.fitHeight(m.ctx, m.w, certMoveWidth) }

// scan lists the NPKI and GPKI certificates the picker would show; a
// PKCS#12 file is one file the user copies as it is.
func (m *certMoveWindow) scan() {
	srcs := m.x.o.Sources()
	now := m.x.o.Now()
	go func() {
		ctx, cancel := withTimeout(m.ctx, callTimeout)
		defer cancel()
		rows, _ := scanCertificates(ctx, srcs, now)
		m.x.onMain(m.ctx, func() {
			var opts []string
			m.certRows = map[string]certRow{}
			for _, r := range rows {
				if r.Cert == nil || (r.Cert.Kind != certstore.KindNPKI && r.Cert.Kind != certstore.KindGPKI) {
					continue
				}
				label := fmt.Sprintf("%s · %s · %s · %s", r.Info.Name, issuerText(r.Info), validityText(r.Info), locationText(r.Info.Location))
				if _, dup := m.certRows[label]; dup {
					label += " · " + filepath.Base(filepath.Dir(r.Path))
				}
				m.certRows[label] = r
				opts = append(opts, label)
			}
			m.certs.Options = opts
			if len(opts) == 1 {
				m.certs.SetSelected(opts[0])
			}
			m.certs.Refresh()
			setVisible(m.noCerts, len(opts) == 0)
			m.updateSend()
			m.updateDrives()
			m.fit()
		})
	}()
}

func (m *certMoveWindow) updateSend() {
	if m.sending || m.certs.Selected == "" {
		m.sendBtn.Disable()
	} else {
		m.sendBtn.Enable()
	}
}

// removableRoots are the drive roots the picker scans as 이동식디스크.
func (m *certMoveWindow) removableRoots() []string {
	var roots []string
	seen := map[string]bool{}
	for _, s := range m.x.o.Sources() {
		if s.Location != certstore.LocationRemovable || s.Layout != certstore.LayoutNPKI {
			continue
		}
		root := filepath.Dir(s.Dir)
		if !seen[root] {
			seen[root] = true
			roots = append(roots, root)
		}
	}
	return roots
}

func (m *certMoveWindow) updateDrives() {
	removable := m.location.Selected == T("picker.loc_removable")
	roots := m.removableRoots()
	m.drive.Options = roots
	if len(roots) > 0 && !slices.Contains(roots, m.drive.Selected) {
		m.drive.SetSelected(roots[0])
	}
	setVisible(m.drive, removable && len(roots) > 0)
	m.drive.Refresh()
}

func (m *certMoveWindow) noRelay() error {
	return api.Errorf(api.CodeDaemonUnavailable, "this connection to svpnd cannot relay a certificate move")
}

// startSend is 인증번호 받기: open a slot and show the code until the
// other PC has the certificate.
func (m *certMoveWindow) startSend() {
	row, ok := m.certRows[m.certs.Selected]
	if !ok || m.sending {
		return
	}
	m.sendProb.Set(nil, "")
	m.sentLabel.Hide()
	m.deleteBtn.Hide()
	bundle, cert, err := certmove.ReadBundle(row.Path)
	if err == nil && m.relay == nil {
		err = m.noRelay()
	}
	if err != nil {
		p := Explain(err)
		m.sendProb.Set(&p, "")
		m.fit()
		return
	}
	m.sending = true
	m.updateSend()
	m.certs.Disable()
	m.sendProg.Start(T("cert.move_opening"))
	m.fit()
	relay := m.relay
	go func() {
		ctx, cancel := context.WithTimeout(m.ctx, api.CertMoveTTL+time.Minute)
		defer cancel()
		err := certmove.Send(ctx, relay, certmove.SendOptions{Bundle: bundle,
			OnCode: func(code certmove.Code, expires time.Time) { m.x.onMain(m.ctx, func() { m.showCode(code, expires) }) },
			OnJoined: func() {
				m.x.onMain(m.ctx, func() { m.sendProg.Start(T("cert.move_sending")) })
			},
		})
		m.x.onMain(m.ctx, func() { m.sendDone(cert, err) })
	}()
}

func (m *certMoveWindow) showCode(code certmove.Code, expires time.Time) {
	m.codeText.Text = code.String()
	m.codeText.Show()
	m.codeText.Refresh()
	m.sendHint.Show()
	m.expires = expires
	m.sendProg.Start(T("cert.move_waiting"))
	m.tick()
	m.countdown.Show()
	ctx, cancel := context.WithCancel(m.ctx)
	m.stopTicker = cancel
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				m.x.onMain(ctx, m.tick)
			}
		}
	}()
	m.fit()
}

// tick shows the time left on the code.
func (m *certMoveWindow) tick() {
	left := max(m.expires.Sub(m.x.o.Now()).Round(time.Second), 0)
	m.countdown.SetText(Tf("cert.move_time_left", map[string]any{"Time": fmt.Sprintf("%d:%02d", int(left.Minutes()), int(left.Seconds())%60)}))
}

func (m *certMoveWindow) sendDone(cert *certstore.Certificate, err error) {
	m.sending = false
	if m.stopTicker != nil {
		m.stopTicker()
	}
	m.sendProg.Stop()
	m.codeText.Hide()
	m.sendHint.Hide()
	m.countdown.Hide()
	m.certs.Enable()
	m.updateSend()
	if err != nil {
		p := Explain(err)
		m.sendProb.Set(&p, "")
	} else {
		m.sentCert = cert
		m.sentLabel.SetText(T("cert.move_sent") + "\n" + T("cert.move_delete_offer"))
		m.sentLabel.Importance = widget.SuccessImportance
		m.sentLabel.Show()
		m.deleteBtn.Enable()
		m.deleteBtn.Show()
	}
	m.w.Content().Refresh()
	m.fit()
}

// deleteSent is 이 PC에서 인증서 삭제, offered after a move as the
// guide advises.
func (m *certMoveWindow) deleteSent() {
	if m.sentCert == nil {
		return
	}
	if err := certmove.Delete(m.sentCert); err != nil {
		p := Explain(api.Errorf(api.CodeCertMoveSave, "%w", err))
		m.sendProb.Set(&p, "")
		m.fit()
		return
	}
	m.sentCert = nil
	m.deleteBtn.Disable()
	m.sentLabel.SetText(T("cert.move_deleted"))
	m.scan()
}

// startReceive is 받기: join the slot the code names and save the
// certificate where the user chose.
func (m *certMoveWindow) startReceive() {
	if m.receiving {
		return
	}
	m.recvDone.Hide()
	user := strings.TrimSpace(m.user.Text)
	if user == "" {
		m.recvProb.Set(&Problem{Text: T("login.need_user")}, "")
		m.fit()
		m.w.Canvas().Focus(m.user)
		return
	}
	code, err := certmove.ParseCode(m.code.Text)
	var dest certmove.Destination
	if err == nil {
		if m.location.Selected == T("picker.loc_removable") {
			if m.drive.Selected == "" {
				err = api.Errorf(api.CodeCertMoveSave, "no removable drive is plugged in")
			} else {
				dest = certmove.Removable(m.drive.Selected)
			}
		} else if dest, err = certmove.HardDisk(); err != nil {
			err = api.Errorf(api.CodeCertMoveSave, "%w", err)
		}
	}
	if err == nil && m.relay == nil {
		err = m.noRelay()
	}
	if err != nil {
		p := Explain(err)
		m.recvProb.Set(&p, "")
		m.fit()
		return
	}
	m.recvProb.Set(nil, "")
	m.receiving = true
	m.recvBtn.Disable()
	m.recvProg.Start(T("cert.move_receiving"))
	m.fit()
	relay := m.relay
	go func() {
		ctx, cancel := context.WithTimeout(m.ctx, api.CertMoveTTL+time.Minute)
		defer cancel()
		path, err := certmove.Receive(ctx, relay, certmove.ReceiveOptions{UserID: user, Code: code,
			Save: func(b *certmove.Bundle) (string, error) { return b.Install(dest) }})
		m.x.onMain(m.ctx, func() { m.receiveDone(path, err) })
	}()
}

func (m *certMoveWindow) receiveDone(path string, err error) {
	m.receiving = false
	m.recvBtn.Enable()
	m.recvProg.Stop()
	if err != nil {
		p := Explain(err)
		m.recvProb.Set(&p, "")
	} else {
		m.receivedAt = path
		m.code.SetText("")
		m.recvDone.SetText(T("cert.move_received") + "\n" + path)
		m.recvDone.Show()
	}
	m.w.Content().Refresh()
	m.fit()
}
