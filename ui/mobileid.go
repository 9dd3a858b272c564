package ui

import (
	"context"
	"fmt"
	"image"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/skip2/go-qrcode"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/local"
)

// MobileDaemon is svpnd's QR login (모바일 공무원증). A Daemon that is one
// too gets the login window's second way in.
type MobileDaemon interface {
	MobileBegin(ctx context.Context, userID string) (*api.MobileLoginBeginResponse, error)
	MobileWait(ctx context.Context, loginID string) (api.Status, error)
	MobileCancel(ctx context.Context, loginID string) (api.Status, error)
}

var _ MobileDaemon = (*local.Client)(nil)

// qrPixels is the side of the QR image in the window (Fyne units).
const qrPixels = 232

// mobileButton is 모바일 공무원증 under 로그인: it opens the QR window.
// Without a daemon that offers it, it is an empty spacer.
func (lw *loginWindow) mobileButton() fyne.CanvasObject {
	md, ok := lw.x.o.Daemon.(MobileDaemon)
	if !ok {
		return layout.NewSpacer()
	}
	b := newKeyButton(T("login.mobile_button"), theme.ComputerIcon(), func() {
		if lw.busy || lw.mobile != nil {
			return
		}
		lw.problem.Set(nil, "")
		lw.busy = true
		lw.setFormEnabled(false)
		lw.mobile = newMobileWindow(lw, md)
	})
	return b
}

// mobileWindow shows the QR the phone scans, the PC's code the holder
// compares on the phone, a countdown and "휴대폰에서 승인하세요"; svpnd
// waits for the phone and the window reports how the login ended.
type mobileWindow struct {
	lw *loginWindow
	md MobileDaemon
	w  fyne.Window

	ctx    context.Context // the window's: ends when it closes
	cancel context.CancelFunc

	qr        *canvas.Image
	qrBox     *fyne.Container
	code      *widget.Label
	codeBox   *fyne.Container
	scan      *widget.Label
	approve   *widget.Label
	countdown *widget.Label
	progress  *progressView
	problem   *problemView
	retryBtn  *keyButton
	cancelBtn *keyButton

	// On Fyne's goroutine only.
	loginID  string
	expires  time.Time
	waiting  bool // svpnd holds a QR login this window started
	finished bool // connected: the window is closing for good
	gen      int  // which begin the goroutines report for
}

func newMobileWindow(lw *loginWindow, md MobileDaemon) *mobileWindow {
	m := &mobileWindow{lw: lw, md: md, w: lw.x.fa.NewWindow(T("login.mobile_title"))}
	m.ctx, m.cancel = context.WithCancel(lw.ctx)
	m.w.SetIcon(AppIcon)
	m.build()
	m.w.SetContent(m.content())
	m.w.Resize(fyne.NewSize(mobileWidth, 10))
	m.w.SetCloseIntercept(m.close)
	m.w.CenterOnScreen()
	m.w.Show()
	go WatchDaemon(m.ctx, lw.x.o.Daemon, func(st api.Status) { m.lw.x.onMain(m.ctx, func() { m.onStatus(st) }) }, func(error) {})
	go m.tick()
	m.begin()
	return m
}

// mobileWidth is the QR window's width (Fyne units).
const mobileWidth = 380

func (m *mobileWindow) build() {
	m.qr = canvas.NewImageFromImage(image.NewGray(image.Rect(0, 0, 1, 1)))
	m.qr.FillMode = canvas.ImageFillContain
	m.qr.ScaleMode = canvas.ImageScalePixels
	m.qr.SetMinSize(fyne.NewSize(qrPixels, qrPixels))
	m.qrBox = container.NewCenter(m.qr)
	m.qrBox.Hide()
	m.scan = wrapped(T("login.mobile_scan"))
	m.scan.Alignment = fyne.TextAlignCenter
	m.code = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	m.code.SizeName = theme.SizeNameHeadingText
	codeCaption := widget.NewLabel(T("login.mobile_code")) // no wrapping: centred, it would wrap per letter
	codeCaption.SizeName = theme.SizeNameCaptionText
	m.codeBox = container.NewVBox(container.NewCenter(codeCaption), container.NewCenter(m.code))
	m.codeBox.Hide()
	m.approve = bold(T("login.mobile_approve"))
	m.approve.Wrapping = fyne.TextWrapWord
	m.approve.Alignment = fyne.TextAlignCenter
	m.approve.Hide()
	m.countdown = widget.NewLabel("")
	m.countdown.Alignment = fyne.TextAlignCenter
	m.progress = newProgressView()
	m.problem = newProblemView(m.lw.x.opener(m.w))
	m.retryBtn = newKeyButton(T("login.mobile_retry"), theme.ViewRefreshIcon(), m.begin)
	m.retryBtn.Importance = widget.HighImportance
	m.retryBtn.Hide()
	m.cancelBtn = newKeyButton(T("common.cancel"), nil, m.close)
	m.retryBtn.onEscape, m.cancelBtn.onEscape = m.close, m.close
}

func (m *mobileWindow) content() fyne.CanvasObject {
	return container.NewPadded(container.NewVBox(
		heading(T("login.mobile_title")),
		m.scan,
		m.qrBox,
		m.codeBox,
		m.approve,
		m.countdown,
		m.progress.box,
		m.problem.box,
		container.NewHBox(layout.NewSpacer(), m.retryBtn, m.cancelBtn),
	))
}

func (m *mobileWindow) fit() { m.lw.x.fitHeight(m.ctx, m.w, mobileWidth) }

// begin asks svpnd for a QR login (again after a failure).
func (m *mobileWindow) begin() {
	m.gen++
	gen := m.gen
	m.problem.Set(nil, "")
	m.retryBtn.Hide()
	m.qrBox.Hide()
	m.codeBox.Hide()
	m.approve.Hide()
	m.countdown.SetText("")
	m.scan.Show()
	m.progress.Start(T("login.mobile_starting"))
	m.cancelBtn.SetText(T("common.cancel"))
	m.fit()
	user := strings.TrimSpace(m.lw.user.Text) // typed: only that account may log in
	go func() {
		ctx, cancel := withTimeout(m.ctx, callTimeout)
		defer cancel()
		b, err := m.md.MobileBegin(ctx, user)
		var img image.Image
		if err == nil {
			var q *qrcode.QRCode
			if q, err = qrcode.New(b.QR, qrcode.Medium); err == nil {
				img = qrImage(q)
			}
		}
		m.lw.x.onMain(m.ctx, func() {
			if gen != m.gen {
				return
			}
			if err != nil {
				m.failed(err)
				return
			}
			m.shown(b, img, gen)
		})
	}()
}

// shown: the QR is up; svpnd now waits for the phone.
func (m *mobileWindow) shown(b *api.MobileLoginBeginResponse, img image.Image, gen int) {
	m.loginID, m.expires, m.waiting = b.LoginID, b.ExpiresAt, true
	m.progress.Stop()
	m.qr.Image = img
	side := float32(img.Bounds().Dx()) / m.w.Canvas().Scale() // one image pixel per screen pixel
	m.qr.SetMinSize(fyne.NewSize(side, side))
	m.qr.Refresh()
	m.qrBox.Show()
	m.code.SetText(spaced(b.ShortCode))
	m.codeBox.Show()
	m.approve.SetText(T("login.mobile_approve"))
	m.approve.Show()
	m.countdown.Show()
	m.updateCountdown()
	m.fit()
	id := b.LoginID
	go func() {
		// svpnd ends the login itself shortly after the QR expires.
		ctx, cancel := context.WithTimeout(m.ctx, time.Until(b.ExpiresAt)+loginTimeout)
		defer cancel()
		st, err := m.md.MobileWait(ctx, id)
		m.lw.x.onMain(m.ctx, func() {
			if gen != m.gen {
				return
			}
			m.waiting = false
			if err != nil {
				m.failed(err)
				return
			}
			m.connected(st)
		})
	}()
}

// onStatus shows that the phone approved: svpnd is bringing the tunnel up.
func (m *mobileWindow) onStatus(st api.Status) {
	if m.waiting && st.State == api.StateConnecting {
		m.approve.SetText(T("login.mobile_approved"))
		m.countdown.SetText("")
		m.progress.Start(T("status.connecting_detail"))
		m.qrBox.Hide()
		m.fit()
	}
}

// tick updates the countdown every second while the window is open.
func (m *mobileWindow) tick() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-t.C:
			m.lw.x.onMain(m.ctx, m.updateCountdown)
		}
	}
}

func (m *mobileWindow) updateCountdown() {
	if !m.waiting || !m.qrBox.Visible() {
		return
	}
	left := m.expires.Sub(m.lw.x.o.Now())
	if left <= 0 {
		// The QR is dead: say so now rather than when svpnd gives up.
		m.expired()
		return
	}
	s := int(left.Round(time.Second).Seconds())
	m.countdown.SetText(Tf("login.mobile_left", map[string]any{"Time": fmt.Sprintf("%d:%02d", s/60, s%60)}))
}

// expired ends the login as E-130 and cancels it in svpnd.
func (m *mobileWindow) expired() {
	m.cancelInDaemon()
	m.gen++ // the wait's answer (cancelled) is not what the user is told
	m.failed(api.Errorf(api.CodeMobileExpired, "the QR code expired"))
}

// cancelInDaemon stops svpnd's login, if this window holds one.
func (m *mobileWindow) cancelInDaemon() {
	if !m.waiting {
		return
	}
	m.waiting = false
	id := m.loginID
	go func() {
		ctx, cancel := withTimeout(context.WithoutCancel(m.ctx), callTimeout)
		defer cancel()
		m.md.MobileCancel(ctx, id)
	}()
}

// failed shows why the login ended (expired, declined, refused …) with its
// number, and offers a new QR.
func (m *mobileWindow) failed(err error) {
	m.progress.Stop()
	m.scan.Hide()
	m.qrBox.Hide()
	m.codeBox.Hide()
	m.approve.Hide()
	m.countdown.Hide()
	p := Explain(err)
	m.problem.Set(&p, m.lw.helpdeskText())
	m.retryBtn.Show()
	m.cancelBtn.SetText(T("common.close"))
	m.fit()
}

// connected: the tunnel is up; the login window shows the connection.
func (m *mobileWindow) connected(st api.Status) {
	m.finished = true
	lw := m.lw
	m.closeWindow()
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

// close is 취소 / 닫기 or the window's close button: a running QR login
// is cancelled (E-132 in the login window).
func (m *mobileWindow) close() {
	lw := m.lw
	cancelled := m.waiting
	m.cancelInDaemon()
	m.closeWindow()
	lw.busy = false
	lw.setFormEnabled(true)
	lw.onStatus(lw.status)
	if cancelled {
		p := ExplainCode(api.CodeMobileCancelled)
		lw.problem.Set(&p, "")
		lw.fit()
	}
	lw.w.RequestFocus()
}

func (m *mobileWindow) closeWindow() {
	m.gen++
	m.cancel()
	m.w.Close()
	if m.lw.mobile == m {
		m.lw.mobile = nil
	}
}

// qrImage draws every module as the same whole number of pixels, at
// about qrPixels a side, so the window shows it crisp (shown at its own
// size, nothing is resampled).
func qrImage(q *qrcode.QRCode) image.Image {
	n := len(q.Bitmap()) // modules, quiet zone included
	return q.Image(max(2, qrPixels/n) * n)
}

// spaced shows a code digit by digit ("4 8 2 1"), easier to compare.
func spaced(code string) string { return strings.Join(strings.Split(code, ""), " ") }
