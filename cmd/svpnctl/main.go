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
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/local"
	"github.com/opensvpn/svpn/client/localsock"
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
}

func main() {
	c := &cli{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, socket: localsock.DefaultAddress()}
	os.Exit(c.run(os.Args[1:]))
}

const usage = `usage: svpnctl [--socket ADDR] <command> [arguments]

commands:
  login --user ID --cert PATH [--password-stdin]
                                             log in; stdin lines: password, certificate
                                             password, [new password for a first login]
  logout                                     end the session
  status [--json]                            connection state
  diag [--json] [--bundle FILE]              diagnostics for the helpdesk
  passwd --user ID [--password-stdin]        change the account password
  certs list [--json] [--drive ROOT]...      certificates the picker shows
  certs show --cert PATH [--json]            details of one certificate
  certs export --cert PATH --p12 OUT --password-stdin
                                             NPKI/GPKI certificate -> PKCS#12
  certs import --p12 FILE --password-stdin [--removable ROOT]
                                             PKCS#12 -> NPKI on disk or drive
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

// fail prints err with its code and returns the exit code for it.
func (c *cli) fail(err error) int {
	code := api.CodeOf(err)
	fmt.Fprintf(c.stderr, "svpnctl: %v\n", err)
	if hint := hints[code]; hint != "" {
		fmt.Fprintf(c.stderr, "  %s\n", hint)
	}
	switch code {
	case api.CodeCertPasswordWrong, api.CodeBadCredentials:
		return exitPassword
	case api.CodeCertNotFound:
		return exitNotFound
	case local.CodeDaemonUnavailable:
		return exitDaemon
	}
	return exitFailure
}

// hints say what to do next, for the codes a CLI user meets.
var hints = map[api.Code]string{
	api.CodeCertPasswordWrong:        "The certificate password is case-sensitive (인증서 암호는 대소문자를 구분합니다).",
	api.CodeCertNotFound:             "Check the path: give signCert.der, its folder, a GPKI *_sig.cer or a .pfx/.p12 file.",
	api.CodeCertUnreadable:           "The file could not be read: check permissions, or whether the USB drive was removed.",
	api.CodeCertCorrupt:              "The file is damaged. Copy the certificate again from its backup or reissue it.",
	api.CodeCertUnsupported:          "This certificate or key format is not supported; export it as PKCS#12 and try the .pfx.",
	api.CodeCertKeyMismatch:          "signPri.key does not belong to this signCert.der; copy the whole certificate folder again.",
	api.CodeCertPasswordNeeded:       "Give the PKCS#12 password with --password-stdin.",
	api.CodeBadCredentials:           "Check the ID and password. After 5 wrong passwords the account is locked.",
	api.CodeAccountLocked:            "The account is locked. Call the helpdesk to unlock it (계정 잠김: 콜센터에 문의하십시오).",
	api.CodePostureFailed:            "Install or turn on an antivirus program, then log in again (백신 프로그램 설치 필수).",
	api.CodeCertificateExpired:       "The certificate has expired. Renew it with your CA, then log in again.",
	api.CodeCertificateRevoked:       "The certificate has been revoked. Have it reissued.",
	api.CodeCertificateNotRegistered: "This certificate is not registered for your account. Ask the helpdesk to register it.",
	local.CodeDaemonUnavailable:      "The SVPN service (svpnd) is not running. Start it, or run svpnd run --userspace.",
}

// newFlags returns a flag set that reports errors on c.stderr.
func (c *cli) newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	return fs
}

// parse parses flags and reports whether to go on; a usage error exits 2.
func parse(fs *flag.FlagSet, args []string) (int, bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return exitUsage, false
	}
	return 0, true
}
