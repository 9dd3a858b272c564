// Command svpn-wallet stands in for the mobile employee ID app (모바일
// 공무원증) in tests and demos: it holds a test credential under a 6-digit
// PIN (locked after 5 wrong PINs), reads a login QR, shows who asks and the
// PC's code, and approves with a presentation signed by the holder's key.
// It speaks only the public protocol, over HTTPS, and is never linked into
// the gateway; the real app takes its place by configuration (the issuer
// in the gateway's trust list).
//
//	svpn-wallet approve --wallet FILE (--qr-png FILE | --qr TEXT) [--code NNNN] [--decline]
//	svpn-wallet show --wallet FILE
//
// approve shows who asks and the code the PC must be showing, then reads
// the PIN from standard input (again after each wrong one). --code NNNN is
// the code the holder reads off their PC: the wallet declines a request
// with another code. At a terminal without --code it asks first whether
// the codes match.
// --qr-png reads the image with zbarimg (Debian zbar-tools), as the phone's
// camera would.
//
// Exit codes: 0 the gateway accepted the approval (or the decline), 1
// failure or refusal, 2 usage, 3 wrong PIN, 4 the wallet is locked.
package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/internal/cliflags"
	"github.com/opensvpn/svpn/mobileid"
	"github.com/opensvpn/svpn/mobileid/phone"
	"github.com/opensvpn/svpn/mobileid/wallet"
	"golang.org/x/term"
)

const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
	exitPIN     = 3
	exitLocked  = 4
)

type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

func main() {
	c := &cli{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	os.Exit(c.run(os.Args[1:]))
}

const usage = `usage: svpn-wallet <command> [arguments]

commands:
  approve --wallet FILE (--qr-png FILE | --qr TEXT) [--code NNNN] [--decline]
                 approve (or decline) a login QR; the 6-digit PIN on stdin;
                 --code: the code the PC shows (another one is declined)
  show --wallet FILE
                 the holder, the credential, the PIN counter
`

func (c *cli) run(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "approve":
		return c.approve(args[1:])
	case "show":
		return c.show(args[1:])
	case "help", "-h", "--help":
		fmt.Fprint(c.stdout, usage)
		return exitOK
	}
	fmt.Fprintf(c.stderr, "svpn-wallet: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

func (c *cli) lang() api.Lang {
	for _, k := range []string{"SVPN_LANG", "LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := strings.ToLower(c.getenv(k)); v != "" {
			if strings.HasPrefix(v, "ko") {
				return api.Korean
			}
			return api.English
		}
	}
	return api.English
}

// say prints a line in the user's language.
func (c *cli) say(ko, en string, args ...any) {
	if c.lang() == api.Korean {
		fmt.Fprintf(c.stderr, ko+"\n", args...)
	} else {
		fmt.Fprintf(c.stderr, en+"\n", args...)
	}
}

// fail prints err with its E-number and returns the exit code.
func (c *cli) fail(err error) int {
	d := api.Explain(err, c.lang())
	fmt.Fprintf(c.stderr, "svpn-wallet: %s (%s)\n  %v\n", d, d.Code, err)
	switch d.Code {
	case api.CodeWalletPIN:
		return exitPIN
	case api.CodeWalletLocked:
		return exitLocked
	}
	return exitFailure
}

func (c *cli) flags(name string) *flag.FlagSet { return cliflags.New(name, c.stderr) }

func (c *cli) approve(args []string) int {
	fs := c.flags("approve")
	path := fs.String("wallet", "", "the wallet `FILE`")
	png := fs.String("qr-png", "", "a PNG `FILE` of the QR code")
	text := fs.String("qr", "", "the QR code's `TEXT`")
	code := fs.String("code", "", "the code the PC shows: a request with another code is declined")
	decline := fs.Bool("decline", false, "decline the login instead")
	if code, ok := cliflags.Parse(fs, args); !ok {
		return code
	}
	if *path == "" || (*png == "") == (*text == "") {
		fmt.Fprintln(c.stderr, "svpn-wallet approve: --wallet and one of --qr-png or --qr are required")
		return exitUsage
	}
	w, err := wallet.Open(*path)
	if err != nil {
		return c.fail(api.Errorf(api.CodeInternal, "%w", err))
	}
	if w.Locked {
		return c.fail(api.Errorf(api.CodeWalletLocked, "the wallet is locked"))
	}
	qrText := *text
	if *png != "" {
		if qrText, err = scanPNG(*png); err != nil {
			return c.fail(err)
		}
	}
	qr, err := mobileid.ParseRequest(qrText)
	if err != nil {
		return c.fail(api.Errorf(api.CodeMobileInvalid, "%w", err))
	}
	ph, err := newPhone(w)
	if err != nil {
		return c.fail(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), api.MobileTTL)
	defer cancel()
	req, err := ph.Fetch(ctx, qr)
	if err != nil {
		return c.fail(err)
	}
	p := req.Profile
	c.say("로그인 요청: %s (%s, %s)\n요청 항목: %s\n확인 코드: %s",
		"Login request: %s (%s, %s)\nAsks for: %s\nCode: %s",
		p.VerifierName, p.Issuer, qr.Host, strings.Join(p.Requested, ", "), p.ShortCode)
	if *decline {
		if err := ph.Decline(ctx, req); err != nil {
			return c.fail(err)
		}
		c.say("거부했습니다.", "Declined.")
		return exitOK
	}
	lines := bufio.NewScanner(c.stdin)
	// The holder compares the code the phone shows with the one their PC
	// shows: a QR from someone else's PC (session fixation) carries that
	// PC's code. With --code (the code the holder reads off their PC) the
	// wallet compares itself; at a terminal it asks; otherwise, as in the
	// app, entering the PIN under the displayed code is the confirmation.
	// A mismatch declines, which spends the other PC's transaction.
	if *code == "" && c.terminal() {
		c.say("PC 화면의 확인 코드가 %s 입니까? [y/N]", "Does the PC show the code %s? [y/N]", p.ShortCode)
		if !lines.Scan() || !strings.EqualFold(strings.TrimSpace(lines.Text()), "y") {
			ph.Decline(ctx, req)
			return c.fail(api.Errorf(api.CodeMobileCodeMismatch, "the holder did not confirm the code %s: declined", p.ShortCode))
		}
	}
	if *code != "" && *code != p.ShortCode {
		ph.Decline(ctx, req)
		return c.fail(api.Errorf(api.CodeMobileCodeMismatch, "the PC shows %q, this request is for %q: declined", *code, p.ShortCode))
	}
	var key *ecdsa.PrivateKey
	for {
		c.say("PIN 6자리를 입력하세요:", "Type the 6-digit PIN:")
		if !lines.Scan() {
			return c.fail(api.Errorf(api.CodeWalletPIN, "no PIN typed"))
		}
		k, err := w.Unlock(strings.TrimSpace(lines.Text()))
		if err == nil {
			key = k
			break
		}
		if api.CodeOf(err) != api.CodeWalletPIN {
			return c.fail(err)
		}
		d := api.Explain(err, c.lang())
		fmt.Fprintf(c.stderr, "svpn-wallet: %s (%d/%d)\n", d, w.Failures, wallet.MaxPINFailures)
	}
	if err := ph.Approve(ctx, req, key, w.Credential); err != nil {
		return c.fail(err)
	}
	c.say("승인했습니다. PC에서 접속을 확인하세요.", "Approved. Check the PC for the connection.")
	return exitOK
}

// terminal reports whether standard input is a terminal (someone to ask).
func (c *cli) terminal() bool {
	f, ok := c.stdin.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// newPhone trusts the roots the wallet names (the phone's trust store).
func newPhone(w *wallet.Wallet) (*phone.Phone, error) {
	if w.CAFile == "" {
		return phone.New(nil), nil
	}
	b, err := os.ReadFile(w.CAFile)
	if err != nil {
		return nil, api.Errorf(api.CodeInternal, "the wallet's trusted roots: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, api.Errorf(api.CodeInternal, "%s holds no PEM certificate", w.CAFile)
	}
	return phone.New(pool), nil
}

// scanPNG reads a QR code image the way the phone's camera would, with
// zbarimg.
func scanPNG(path string) (string, error) {
	bin, err := exec.LookPath("zbarimg")
	if err != nil {
		return "", api.Errorf(api.CodeInternal, "reading a QR image needs zbarimg (Debian zbar-tools): %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--raw", "--quiet", "-Sdisable", "-Sqrcode.enable", path).Output()
	if err != nil {
		return "", api.Errorf(api.CodeMobileInvalid, "no QR code found in %s: %w", path, err)
	}
	return strings.TrimRight(string(out), "\r\n"), nil
}

func (c *cli) show(args []string) int {
	fs := c.flags("show")
	path := fs.String("wallet", "", "the wallet `FILE`")
	if code, ok := cliflags.Parse(fs, args); !ok {
		return code
	}
	if *path == "" {
		fmt.Fprintln(c.stderr, "svpn-wallet show: --wallet is required")
		return exitUsage
	}
	w, err := wallet.Open(*path)
	if err != nil {
		return c.fail(api.Errorf(api.CodeInternal, "%w", err))
	}
	cred, err := mobileid.PeekCredential(w.Credential)
	if err != nil {
		return c.fail(api.Errorf(api.CodeMobileInvalid, "the credential: %w", err))
	}
	fmt.Fprintf(c.stdout, "wallet: %s\nholder: %s\nissuer: %s\nserial: %s\n", w.DisplayLabel, w.HolderDID, cred.Issuer, cred.ID)
	if cred.Expiry != nil {
		fmt.Fprintf(c.stdout, "valid until: %s\n", cred.Expiry.Time().Format(time.RFC3339))
	}
	for k, v := range cred.VC.Subject {
		if k != "id" {
			fmt.Fprintf(c.stdout, "%s: %s\n", k, v)
		}
	}
	fmt.Fprintf(c.stdout, "wrong PINs: %d of %d, locked: %t\n", w.Failures, wallet.MaxPINFailures, w.Locked)
	return exitOK
}
