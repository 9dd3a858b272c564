package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/skip2/go-qrcode"
)

// qrPNGSize is the side of the PNG written by --qr-png, in pixels.
const qrPNGSize = 512

// loginMobile is `svpnctl login --mobile-id [--user ID] [--qr-png FILE]`:
// svpnd starts a QR login; the QR goes to the terminal (and the PNG); the
// holder scans it with the mobile ID app, checks the code and approves;
// svpnd brings the tunnel up. It exits 0 once connected.
func (c *cli) loginMobile(user, pngPath string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	d := c.daemon()
	defer d.Close()
	bctx, cancel := context.WithTimeout(ctx, loginTimeout)
	begin, err := d.MobileBegin(bctx, user)
	cancel()
	if err != nil {
		return c.fail(err)
	}
	// The QR holds only the one-time transaction code and the gateway's
	// address: showing it (or writing the PNG) reveals nothing else.
	qr, err := qrcode.New(begin.QR, qrcode.Medium)
	if err != nil {
		c.cancelMobile(d, begin.LoginID)
		return c.fail(api.Errorf(api.CodeInternal, "QR code: %w", err))
	}
	if pngPath != "" {
		if err := qr.WriteFile(qrPNGSize, pngPath); err != nil {
			c.cancelMobile(d, begin.LoginID)
			return c.fail(api.Errorf(api.CodeInternal, "writing %s: %w", pngPath, err))
		}
	}
	fmt.Fprint(c.stdout, qr.ToSmallString(false))
	left := time.Until(begin.ExpiresAt).Round(time.Second)
	if c.lang() == api.Korean {
		fmt.Fprintf(c.stdout, "모바일 공무원증 앱으로 QR 코드를 스캔한 뒤 휴대폰에서 승인하세요.\n확인 코드: %s (휴대폰에 같은 코드가 보일 때만 승인하세요)\n남은 시간: %s\n", begin.ShortCode, left)
	} else {
		fmt.Fprintf(c.stdout, "Scan the QR code with the mobile ID app, then approve on the phone.\nCode: %s (approve only if the phone shows the same code)\nTime left: %s\n", begin.ShortCode, left)
	}
	fmt.Fprintf(c.stdout, "qr: %s\ncode: %s\n", begin.QR, begin.ShortCode)
	if pngPath != "" {
		fmt.Fprintf(c.stdout, "qr-png: %s\n", pngPath)
	}
	// svpnd gives up shortly after the QR expires; this bound only guards
	// against a daemon that never answers.
	wctx, cancel := context.WithTimeout(ctx, time.Until(begin.ExpiresAt)+loginTimeout)
	defer cancel()
	st, err := d.MobileWait(wctx, begin.LoginID)
	if ctx.Err() != nil { // ^C: the login is cancelled in svpnd too
		c.cancelMobile(d, begin.LoginID)
		return c.fail(api.Errorf(api.CodeMobileCancelled, "interrupted"))
	}
	if err != nil {
		return c.fail(err)
	}
	c.printConnected(st)
	return exitOK
}

func (c *cli) cancelMobile(d interface {
	MobileCancel(context.Context, string) (api.Status, error)
}, id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d.MobileCancel(ctx, id)
}

// printConnected prints what a connected login gives.
func (c *cli) printConnected(st api.Status) {
	fmt.Fprintf(c.stdout, "connected: %s as %s, address %s\n", st.GatewayName, st.User, st.Address)
	if st.PortalLocalURL != "" {
		fmt.Fprintf(c.stdout, "portal: %s (via %s)\n", st.PortalLocalURL, st.PortalURL)
	} else if st.PortalURL != "" {
		fmt.Fprintf(c.stdout, "portal: %s\n", st.PortalURL)
	}
	if st.ProxyURL != "" {
		fmt.Fprintf(c.stdout, "proxy: %s  %s (this session's credentials)\n", st.ProxyURL, st.SOCKSURL)
	} else if st.ProxyAddr != "" {
		fmt.Fprintf(c.stdout, "proxy: %s (SOCKS5 and HTTP)\n", st.ProxyAddr)
	}
}
