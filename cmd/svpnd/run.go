package main

import (
	"context"
	"flag"
	"io"

	"github.com/opensvpn/svpn/client/daemon"
	"github.com/opensvpn/svpn/client/localsock"
)

type runOptions struct {
	userspace     bool
	socket        string
	profile       string
	proxy         string
	portalForward string
	stateDir      string
	tunName       string
	verbose       bool
}

func (o *runOptions) flags(stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("svpnd run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&o.userspace, "userspace", false, "no privileges: netstack tunnel and a loopback proxy instead of a TUN device")
	fs.StringVar(&o.socket, "socket", localsock.DefaultAddress(), "local API `address` (unix socket path or named pipe)")
	fs.StringVar(&o.profile, "profile", defaultProfile(), "installed gateway profile `file`")
	fs.StringVar(&o.proxy, "proxy", "127.0.0.1:1080", "userspace mode: SOCKS5/HTTP proxy `address` into the tunnel (empty: none)")
	fs.StringVar(&o.portalForward, "portal-forward", "127.0.0.1:0", "userspace mode: loopback `address` forwarding to the portal")
	fs.StringVar(&o.stateDir, "state-dir", defaultStateDir(), "`directory` recording what the tunnel changed, to undo it after a crash")
	fs.StringVar(&o.tunName, "tun", "svpn0", "TUN interface `name`")
	fs.BoolVar(&o.verbose, "v", false, "debug logging")
	return fs
}

// runService runs the daemon until ctx ends.
func runService(ctx context.Context, o runOptions, stderr io.Writer) error {
	return daemon.Run(ctx, daemon.Options{
		Userspace: o.userspace, Socket: o.socket, Profile: o.profile, ProxyAddr: o.proxy,
		PortalForward: o.portalForward, StateDir: o.stateDir, TUNName: o.tunName,
		Version: version, LogOutput: stderr, Verbose: o.verbose,
	})
}
