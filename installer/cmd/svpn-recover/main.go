// Command svpn-recover undoes what an SVPN tunnel left behind when svpnd
// stopped without closing it (a crash, a kill, a power cut): the interface,
// the routes, the DNS settings recorded in svpnd's state directory. svpnd
// does the same when it starts; the package managers' removal scripts and
// the Windows uninstaller run this after stopping the service, so that
// removing SVPN never leaves routes behind even when svpnd will not start
// again.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/opensvpn/svpn/tunnel"
)

func main() {
	fs := flag.NewFlagSet("svpn-recover", flag.ContinueOnError)
	stateDir := fs.String("state-dir", "", "svpnd's state `directory` (required)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if *stateDir == "" || fs.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: svpn-recover --state-dir DIR")
		os.Exit(2)
	}
	if _, err := os.Stat(*stateDir); os.IsNotExist(err) {
		return // never ran: nothing to undo
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := tunnel.Recover(*stateDir, log); err != nil {
		fmt.Fprintf(os.Stderr, "svpn-recover: %v\n", err)
		os.Exit(1)
	}
}
