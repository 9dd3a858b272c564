// Command svpnd is the SVPN service: it holds the connection state, logs in
// through the gateway API, brings the WireGuard tunnel up with the routes
// and DNS the gateway pushes, and serves the local API that svpnctl and the
// desktop app use. It runs as root / SYSTEM (kernel TUN), or unprivileged
// with --userspace (netstack tunnel plus a loopback proxy).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/daemon"
	"io"
	"os"
	"os/signal"
	"syscall"
)

var version = "dev"

const usage = `usage: svpnd <command> [arguments]

  run        [--userspace] [--socket ADDR] [--profile FILE] [--proxy HOST:PORT]
             [--portal-forward HOST:PORT] [--state-dir DIR] [--tun NAME]
                                     run the service in the foreground
  check-profile [--profile FILE]     validate a profile file (installers run it before writing)
  install    [--profile FILE]        register and start the system service
  uninstall                          stop and remove the system service
  version
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "run":
		var o runOptions
		fs := o.flags(stderr)
		if err := fs.Parse(args[1:]); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		err = runManaged(ctx, o, stderr)
	case "check-profile":
		err = checkProfile(args[1:], stdout, stderr)
	case "install":
		err = install(args[1:], stdout, stderr)
	case "uninstall":
		err = uninstall(stdout)
	case "version", "--version":
		fmt.Fprintf(stdout, "svpnd %s\n", version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "svpnd: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "svpnd: %v\n", err)
		return 1
	}
	return 0
}

// checkProfile validates a profile and says what it points at.
func checkProfile(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("svpnd check-profile", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("profile", defaultProfile(), "profile `file`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	p, err := api.LoadProfile(*path)
	if err != nil {
		return err
	}
	if _, err := daemon.GatewayClient(p); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: ok (%s, %s)\n", *path, p.Name, p.GatewayURL)
	return nil
}
