// Package cliflags holds the flag handling svpnctl and svpn-wallet share:
// errors reported on the command's stderr, -h answered with exit 0, any
// other usage error (an unknown flag, a stray argument) with exit 2.
package cliflags

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// Exit statuses of a parse.
const (
	ExitOK    = 0
	ExitUsage = 2
)

// New returns a flag set named name that reports errors on stderr.
func New(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// Parse parses args and reports whether to go on; when not, code is the
// exit status: ExitOK after -h, ExitUsage for a usage error.
func Parse(fs *flag.FlagSet, args []string) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK, false
		}
		return ExitUsage, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return ExitUsage, false
	}
	return 0, true
}
