package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/certstore/token"
	"github.com/opensvpn/svpn/client/local"
	"github.com/opensvpn/svpn/client/login"
	"github.com/opensvpn/svpn/internal/cliflags"
	"github.com/opensvpn/svpn/internal/textable"
)

// loginTimeout bounds a whole login: gateway round trips and the first
// handshake.
const loginTimeout = 60 * time.Second

func (c *cli) daemon() *local.Client { return local.NewClient(c.socket) }

// unlockCertificate loads and decrypts the certificate at path; a PKCS#12
// whose certificate is encrypted too is opened with the same password.
func unlockCertificate(path string, pw []byte) (*certstore.Identity, error) {
	cert, err := certstore.Load(path)
	if api.CodeOf(err) == api.CodeCertPasswordNeeded {
		return certstore.LoadPKCS12(path, pw)
	}
	if err != nil {
		return nil, err
	}
	return cert.Unlock(pw)
}

func (c *cli) login(args []string) int {
	fs := c.newFlags("login")
	user := fs.String("user", "", "account `ID`")
	certPath := fs.String("cert", "", "certificate: signCert.der, its folder, a GPKI *_sig.cer, a .pfx/.p12, or a token's pkcs11: URI")
	pwStdin := fs.Bool("password-stdin", false, "read from standard input, one per line: account password, certificate password (PIN), [new account password]")
	var modules multiFlag
	fs.Var(&modules, "pkcs11-module", "PKCS#11 `library` of the token, for a pkcs11: certificate (repeatable)")
	mobile := fs.Bool("mobile-id", false, "log in with the mobile employee ID (모바일 공무원증): scan the QR with the phone")
	qrPNG := fs.String("qr-png", "", "with --mobile-id: also write the QR code to this PNG `FILE`")
	if code, ok := cliflags.Parse(fs, args); !ok {
		return code
	}
	if *mobile {
		if *certPath != "" || *pwStdin {
			fmt.Fprintln(c.stderr, "svpnctl login: --mobile-id takes no --cert nor --password-stdin (the phone approves)")
			return exitUsage
		}
		return c.loginMobile(*user, *qrPNG)
	}
	if *qrPNG != "" {
		fmt.Fprintln(c.stderr, "svpnctl login: --qr-png goes with --mobile-id")
		return exitUsage
	}
	if *user == "" || *certPath == "" {
		fmt.Fprintln(c.stderr, "svpnctl login: --user and --cert are required")
		return exitUsage
	}
	var lines *lineReader
	askLine := func(prompt string) ([]byte, error) {
		if *pwStdin {
			return lines.next(prompt)
		}
		return c.promptPassword(prompt)
	}
	if *pwStdin {
		lines = newLineReader(c.stdin)
	}
	accountPW, err := askLine("Password (비밀번호)")
	if err != nil {
		return c.fail(err)
	}
	prompt := "Certificate password (인증서 암호)"
	if token.IsURI(*certPath) {
		prompt = "Token PIN (보안토큰 PIN)"
	}
	certPW, err := askLine(prompt)
	if err != nil {
		return c.fail(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), loginTimeout)
	defer cancel()
	var id login.Signer
	if token.IsURI(*certPath) {
		tid, err := token.NewManager(c.tokenPolicy(modules), 0).Unlock(ctx, *certPath, certPW)
		if err != nil {
			return c.fail(err)
		}
		defer tid.Close()
		id = tid
	} else if id, err = unlockCertificate(*certPath, certPW); err != nil {
		return c.fail(err)
	}
	d := c.daemon()
	defer d.Close()

	ask := func(code api.Code, err error) (string, error) {
		if code == api.CodePasswordPolicy {
			c.printViolations(err)
			if *pwStdin {
				return "", err
			}
		} else {
			fmt.Fprintln(c.stderr, "처음 접속하셨습니다. 비밀번호를 변경하여 주시기 바랍니다. (First login: change your password.)")
		}
		return c.newPassword(askLine)
	}
	st, err := login.Run(ctx, d, id, *user, string(accountPW), ask)
	if err != nil {
		return c.fail(err)
	}
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
	return exitOK
}

// newPassword asks for the new account password (twice on a terminal).
func (c *cli) newPassword(ask func(string) ([]byte, error)) (string, error) {
	p, err := ask("New password (신규비밀번호)")
	if errors.Is(err, io.EOF) {
		err = nil // no third line: reported below
	}
	if err != nil {
		return "", err
	}
	if len(p) == 0 {
		return "", api.Errorf(api.CodePasswordChangeRequired, "the gateway requires a new password; give it as the third line of standard input")
	}
	if c.interactive() {
		again, err := ask("New password again (신규비밀번호 확인)")
		if err != nil {
			return "", err
		}
		if string(again) != string(p) {
			return "", errors.New("the two new passwords differ")
		}
	}
	return string(p), nil
}

func (c *cli) interactive() bool {
	f, ok := c.stdin.(*os.File)
	return ok && f == os.Stdin && isTerminal(f)
}

func (c *cli) printViolations(err error) {
	r, ok := api.RefusalOf(err)
	if !ok {
		return
	}
	fmt.Fprintln(c.stderr, "The new password breaks these rules (비밀번호 규칙 위반):")
	for _, v := range r.Violations {
		fmt.Fprintf(c.stderr, "  - %s: %s\n", v.Rule, v.Message)
	}
}

func (c *cli) logout(args []string) int {
	fs := c.newFlags("logout")
	if code, ok := cliflags.Parse(fs, args); !ok {
		return code
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	d := c.daemon()
	defer d.Close()
	if _, err := d.Logout(ctx); err != nil {
		return c.fail(err)
	}
	fmt.Fprintln(c.stdout, "disconnected")
	return exitOK
}

func (c *cli) status(args []string) int {
	fs := c.newFlags("status")
	asJSON := fs.Bool("json", false, "print JSON")
	if code, ok := cliflags.Parse(fs, args); !ok {
		return code
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d := c.daemon()
	defer d.Close()
	st, err := d.Status(ctx)
	if err != nil {
		return c.fail(err)
	}
	if *asJSON {
		return c.printJSON(st)
	}
	rows := [][]string{{"State:", string(st.State)}, {"Gateway:", st.GatewayName + " " + st.Gateway}}
	add := func(k, v string) {
		if v != "" {
			rows = append(rows, []string{k, v})
		}
	}
	add("User:", st.User)
	add("Address:", st.Address)
	add("Endpoint:", st.Endpoint)
	add("Transport:", transportLine(st))
	if !st.ConnectedAt.IsZero() {
		add("Connected:", st.ConnectedAt.Local().Format(time.RFC3339))
	}
	if !st.LastHandshake.IsZero() {
		add("Handshake:", fmt.Sprintf("%s ago", time.Since(st.LastHandshake).Round(time.Second)))
	}
	if st.RxBytes+st.TxBytes > 0 {
		add("Traffic:", fmt.Sprintf("%d B in, %d B out", st.RxBytes, st.TxBytes))
	}
	add("Routes:", strings.Join(st.Routes, ", "))
	add("DNS:", strings.Join(st.DNS, ", "))
	add("Portal:", st.PortalURL)
	add("Portal (local):", st.PortalLocalURL)
	add("Proxy:", st.ProxyAddr)
	add("Proxy URL:", st.ProxyURL)
	add("SOCKS URL:", st.SOCKSURL)
	if !st.SessionExpiresAt.IsZero() {
		add("Session until:", st.SessionExpiresAt.Local().Format(time.RFC3339))
	}
	if st.LastErrorCode != "" {
		add("Last error:", fmt.Sprintf("%s (%s)", st.LastErrorCode, st.LastError))
	}
	add("End reason:", string(st.EndReason))
	if st.KillSwitch {
		add("Kill switch:", "on: nothing leaves this PC outside the tunnel until logout")
	}
	if !st.CaptiveExemptUntil.IsZero() {
		add("Portal exemption:", "web and DNS pass the kill switch until "+st.CaptiveExemptUntil.Local().Format(time.RFC3339))
	}
	textable.Print(c.stdout, rows)
	return exitOK
}

func (c *cli) diag(args []string) int {
	fs := c.newFlags("diag")
	asJSON := fs.Bool("json", false, "print JSON")
	bundle := fs.String("bundle", "", "write the support bundle (zip, secrets redacted) to `file`")
	if code, ok := cliflags.Parse(fs, args); !ok {
		return code
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d := c.daemon()
	defer d.Close()
	if *bundle != "" {
		f, err := os.OpenFile(*bundle, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return c.fail(err)
		}
		err = d.Bundle(ctx, f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(*bundle)
			return c.fail(err)
		}
		fmt.Fprintf(c.stdout, "support bundle written to %s\n", *bundle)
		return exitOK
	}
	dg, err := d.Diagnostics(ctx)
	if err != nil {
		return c.fail(err)
	}
	if *asJSON {
		return c.printJSON(dg)
	}
	st := dg.Status
	rows := [][]string{
		{"State:", string(st.State)},
		{"Gateway:", dg.Profile.Name + " " + dg.Profile.GatewayURL},
		{"User:", st.User},
		{"Address:", st.Address},
		{"Endpoint:", st.Endpoint},
		{"Transport:", transportLine(st)},
		{"MTU:", fmt.Sprint(st.MTU)},
		{"Routes:", strings.Join(st.Routes, ", ")},
		{"DNS:", strings.Join(st.DNS, ", ") + " " + st.DNSMethod},
		{"Versions:", fmt.Sprintf("%v", dg.Versions)},
		{"Device:", fmt.Sprintf("%s %s %s", dg.Device.Hostname, dg.Device.OS, dg.Device.OSVersion)},
		{"Helpdesk:", dg.Profile.Helpdesk},
	}
	if c := dg.Certificate; c != nil {
		rows = append(rows, []string{"Certificate:", fmt.Sprintf("%s, %s, serial %s, until %s", c.Name, c.Purpose, c.Serial, c.NotAfter.Local().Format("2006-01-02"))})
	}
	for _, av := range dg.Posture.Antivirus {
		rows = append(rows, []string{"Antivirus:", fmt.Sprintf("%s enabled=%v up_to_date=%v", av.Name, av.Enabled, av.UpToDate)})
	}
	for _, e := range dg.Errors {
		rows = append(rows, []string{"Error:", fmt.Sprintf("%s %s %s", e.Time.Local().Format("01-02 15:04:05"), e.Code, e.Message)})
	}
	for _, n := range dg.Notes {
		rows = append(rows, []string{"Note:", n})
	}
	textable.Print(c.stdout, rows)
	return exitOK
}

func (c *cli) passwd(args []string) int {
	fs := c.newFlags("passwd")
	user := fs.String("user", "", "account `ID`")
	pwStdin := fs.Bool("password-stdin", false, "read the old and the new password from standard input, one per line")
	if code, ok := cliflags.Parse(fs, args); !ok {
		return code
	}
	if *user == "" {
		fmt.Fprintln(c.stderr, "svpnctl passwd: --user is required")
		return exitUsage
	}
	var lines *lineReader
	if *pwStdin {
		lines = newLineReader(c.stdin)
	}
	ask := func(prompt string) ([]byte, error) {
		if *pwStdin {
			return lines.next(prompt)
		}
		return c.promptPassword(prompt)
	}
	old, err := ask("Current password (기존비밀번호)")
	if err != nil {
		return c.fail(err)
	}
	newPW, err := c.newPassword(ask)
	if err != nil {
		return c.fail(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d := c.daemon()
	defer d.Close()
	err = d.ChangePassword(ctx, &api.LocalPasswordRequest{UserID: *user, OldPassword: string(old), NewPassword: newPW})
	if err != nil {
		c.printViolations(err)
		return c.fail(err)
	}
	fmt.Fprintln(c.stdout, "password changed")
	return exitOK
}

// transportLine is the status's transport and why: "tcp (udp_blocked)".
func transportLine(st api.Status) string {
	if st.Transport == "" || st.TransportReason == "" {
		return string(st.Transport)
	}
	return string(st.Transport) + " (" + st.TransportReason + ")"
}
