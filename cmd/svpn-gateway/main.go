// Command svpn-gateway is the SVPN server: it serves the gateway API and
// the WireGuard tunnels, and administers users, sessions and revocations in
// the configured store.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/opensvpn/svpn/gateway"
)

var version = "dev"

const defaultConfig = "/etc/svpn-gateway/config.json"

const usage = `usage: svpn-gateway <command> [arguments]

  serve  [--config FILE] [--nat]              serve the API and tunnels
  demo   --dir DIR [--listen HOST:PORT] [--wg-port PORT] [--nodes N]
                                              a complete demo gateway with a test CA,
                                              user test05 and a portal inside the tunnel;
                                              --nodes 2+ runs a cluster on its own PostgreSQL
  user   add|list|show|lock|unlock|reset-password|bind-cert|set-identity|delete  [--config FILE] ...
  session list|kick [--config FILE] ...
  cert   revoke|list|moves|moves-reset [--config FILE] ...
  audit  [--config FILE] [--user ID] [--limit N]
  node   list|drain|undrain [--config FILE] [--node NAME] [--wait DURATION] [--json]
  version

Administration commands work on the store of the config file (default ` + defaultConfig + `),
so they reach every node of a cluster sharing a PostgreSQL store.
`

type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

func main() {
	c := &cli{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(c.run(ctx, os.Args[1:]))
}

func (c *cli) run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = c.serve(ctx, args[1:])
	case "demo":
		err = c.demo(ctx, args[1:])
	case "user":
		err = c.user(ctx, args[1:])
	case "session":
		err = c.session(ctx, args[1:])
	case "cert":
		err = c.cert(ctx, args[1:])
	case "node":
		err = c.node(ctx, args[1:])
	case "audit":
		err = c.audit(ctx, args[1:])
	case "version", "--version":
		fmt.Fprintf(c.stdout, "svpn-gateway %s\n", version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(c.stdout, usage)
		return 0
	default:
		fmt.Fprintf(c.stderr, "svpn-gateway: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(c.stderr, "svpn-gateway: %v\n", err)
		return 2
	case errors.Is(err, flag.ErrHelp):
		return 0
	}
	fmt.Fprintf(c.stderr, "svpn-gateway: %v\n", err)
	return 1
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func (c *cli) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

func (c *cli) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func (c *cli) serve(ctx context.Context, args []string) error {
	fs := c.flags("serve")
	cfgPath := fs.String("config", defaultConfig, "config `file`")
	nat := fs.Bool("nat", false, "tun mode: masquerade the client pool towards the internal network with nftables (same as wireguard.nat)")
	portal := fs.Bool("demo-portal", false, "serve the demo's stand-in portal page inside the tunnel (demo --nodes)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := gateway.LoadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if *nat {
		if cfg.WG.Mode != "tun" {
			return usagef("serve --nat needs wireguard.mode tun")
		}
		cfg.WG.NAT = true
	}
	g, err := gateway.Start(ctx, cfg, gateway.StartOptions{Logger: c.logger(), Portal: *portal})
	if err != nil {
		return err
	}
	<-ctx.Done()
	return g.Close()
}
