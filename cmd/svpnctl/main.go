// Command svpnctl is SVPN's command-line front end: certificates, login,
// status and diagnostics, for scripts and for the helpdesk.
//
// Exit codes are a contract scripts rely on:
//
//	0 success
//	1 failure (the message says why, with its error code)
//	2 usage error
//	3 wrong password (certificate or account)
//	4 not found (certificate, file)
//	5 svpnd is not running
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/localsock"
	"github.com/opensvpn/svpn/internal/cliflags"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const (
	exitOK       = 0
	exitFailure  = 1
	exitUsage    = 2
	exitPassword = 3
	exitNotFound = 4
	exitDaemon   = 5
)

// cli carries what every subcommand writes to and reads from, so tests run
// commands in-process.
type cli struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	socket string // svpnd's local API address
	// getenv reads the environment (the locale); nil means os.Getenv.
	getenv func(string) string
}

func main() {
	c := &cli{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, socket: localsock.DefaultAddress()}
	os.Exit(c.run(os.Args[1:]))
}

const usage = `usage: svpnctl [--socket ADDR] <command> [arguments]

commands:
  login --user ID --cert PATH [--password-stdin] [--pkcs11-module LIB]
                                             log in; stdin lines: password, certificate
                                             password (a token's PIN for a pkcs11: URI),
                                             [new password for a first login]
  login --mobile-id [--user ID] [--qr-png FILE]
                                             log in with the mobile employee ID: scan the
                                             QR, approve on the phone
  logout                                     end the session
  status [--json]                            connection state
  diag [--json] [--bundle FILE]              diagnostics for the helpdesk
  passwd --user ID [--password-stdin]        change the account password
  captive-exempt                             let a hotel's sign-in page through the kill switch
                                             for the minutes the profile allows (logged)
  certs list [--json] [--drive ROOT]... [--pkcs11-module LIB]...
                                             certificates the picker shows, tokens too
  certs show --cert PATH [--json]            details of one certificate
  certs export --cert PATH --p12 OUT --password-stdin
                                             NPKI/GPKI certificate -> PKCS#12
  certs import --p12 FILE --password-stdin [--removable ROOT]
                                             PKCS#12 -> NPKI on disk or drive
  certs send --cert PATH [--delete-after]   move a certificate to another PC: prints a
                                             code, waits until that PC has it (needs a login)
  certs receive --user ID [--code CODE] [--removable ROOT]
                                             receive it there (code also on stdin); prints
                                             where it was written
  version                                    print the version
`

func (c *cli) run(args []string) int {
	for len(args) > 0 && strings.HasPrefix(args[0], "--socket") {
		if v, ok := strings.CutPrefix(args[0], "--socket="); ok {
			c.socket, args = v, args[1:]
		} else if len(args) > 1 {
			c.socket, args = args[1], args[2:]
		} else {
			fmt.Fprint(c.stderr, usage)
			return exitUsage
		}
	}
	if len(args) == 0 {
		fmt.Fprint(c.stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "certs":
		return c.certs(args[1:])
	case "login":
		return c.login(args[1:])
	case "logout":
		return c.logout(args[1:])
	case "status":
		return c.status(args[1:])
	case "diag":
		return c.diag(args[1:])
	case "passwd":
		return c.passwd(args[1:])
	case "captive-exempt":
		return c.captiveExempt(args[1:])
	case "version", "--version", "-version":
		fmt.Fprintf(c.stdout, "svpnctl %s\n", version)
		return exitOK
	case "help", "-h", "--help":
		fmt.Fprint(c.stdout, usage)
		return exitOK
	}
	fmt.Fprintf(c.stderr, "svpnctl: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

// fail prints err as the desktop app shows it, from api's error catalogue:
// its E-number, the sentence in the user's language and its code, then the
// technical detail; and returns the exit code for it.
//
//	svpnctl: E-211 인증서 암호가 올바르지 않습니다. … (cert_password_wrong)
//	  cert_password_wrong: wrong password
func (c *cli) fail(err error) int {
	code := api.CodeOf(err)
	lang := c.lang()
	d := api.Explain(err, lang)
	fmt.Fprintf(c.stderr, "svpnctl: %s (%s)\n", d, d.Code)
	fmt.Fprintf(c.stderr, "  %v\n", err)
	if hint := cliHints[code]; hint != [2]string{} {
		if lang == api.Korean {
			fmt.Fprintf(c.stderr, "  %s\n", hint[0])
		} else {
			fmt.Fprintf(c.stderr, "  %s\n", hint[1])
		}
	}
	c.tokenHint(err, lang)
	switch code {
	case api.CodeCertPasswordWrong, api.CodeBadCredentials, api.CodeTokenPINWrong:
		return exitPassword
	case api.CodeCertNotFound, api.CodeTokenNotFound:
		return exitNotFound
	case api.CodeDaemonUnavailable:
		return exitDaemon
	}
	return exitFailure
}

// cliHints add, after the catalogue's sentence, what only a command-line
// user can do (a flag, a path form), in Korean and English.
var cliHints = map[api.Code][2]string{
	api.CodeCertNotFound: {
		"경로를 확인하세요: signCert.der, 그 폴더, GPKI *_sig.cer 또는 .pfx/.p12 파일을 지정합니다.",
		"Check the path: give signCert.der, its folder, a GPKI *_sig.cer or a .pfx/.p12 file.",
	},
	api.CodeCertPasswordNeeded: {
		"PKCS#12 암호를 --password-stdin으로 입력하세요.",
		"Give the PKCS#12 password with --password-stdin.",
	},
}

// lang is the language of the messages: SVPN_LANG (ko, en) if set, else
// Korean when the locale (LC_ALL, LC_MESSAGES, LANG: the first one set, as
// libc picks it) is Korean, else English.
func (c *cli) lang() api.Lang {
	getenv := c.getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	switch strings.ToLower(getenv("SVPN_LANG")) {
	case "ko", "kr", "korean":
		return api.Korean
	case "en", "english":
		return api.English
	}
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := getenv(k); v != "" {
			if strings.HasPrefix(strings.ToLower(v), "ko") {
				return api.Korean
			}
			return api.English
		}
	}
	return api.English
}

func (c *cli) newFlags(name string) *flag.FlagSet { return cliflags.New(name, c.stderr) }
