package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/opensvpn/svpn/gateway"
)

func (c *cli) demo(ctx context.Context, args []string) error {
	fs := c.flags("demo")
	dir := fs.String("dir", "", "state `directory`, reused on the next start")
	listen := fs.String("listen", "127.0.0.1:8443", "API `address`; port 0 picks a free one, written to demo.json and the profile")
	wgPort := fs.Int("wg-port", 51820, "WireGuard UDP `port`; 0 picks a free one, written to demo.json")
	heartbeat := fs.Duration("heartbeat", 0, "heartbeat `interval` told to clients (default 30s); short values make kicks visible sooner")
	dns := fs.String("dns", "", "DNS server `address` to push (e.g. 10.77.0.1); default none")
	idle := fs.Duration("idle", 0, "idle session timeout (default 30m)")
	tunName := fs.String("tun", "", "use a kernel TUN `interface` (root) instead of netstack; no portal page then")
	nodes := fs.Int("nodes", 1, "gateway `processes`: 2 or more run a cluster on a PostgreSQL of the demo's own")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		return usagef("demo: --dir is required")
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}
	tune := func(cfg *gateway.Config) {
		if *heartbeat > 0 {
			cfg.HeartbeatInterval = gateway.Duration(*heartbeat)
		}
		if *idle > 0 {
			cfg.SessionIdle = gateway.Duration(*idle)
		}
	}
	if *nodes > 1 {
		if *tunName != "" || *dns != "" {
			return usagef("demo --nodes: no --tun or --dns")
		}
		return c.demoCluster(ctx, abs, *listen, *wgPort, *nodes, tune)
	}
	cfg, d, err := gateway.PrepareDemo(abs, *listen, *wgPort)
	if err != nil {
		return err
	}
	if *heartbeat > 0 {
		cfg.HeartbeatInterval = gateway.Duration(*heartbeat)
	}
	if *idle > 0 {
		cfg.SessionIdle = gateway.Duration(*idle)
	}
	if *dns != "" {
		g := cfg.Groups["default"]
		g.DNS = []string{*dns}
		g.SearchDomains = []string{"intra.svpn.test"}
		cfg.Groups["default"] = g
	}
	if *tunName != "" {
		cfg.WG.Mode, cfg.WG.TUNName = "tun", *tunName
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	g, err := gateway.Start(ctx, cfg, gateway.StartOptions{Logger: c.logger(), Portal: *tunName == ""})
	if err != nil {
		return err
	}
	defer g.Close()
	if err := gateway.EnsureDemoUser(ctx, g.Store, d, cfg.Argon2); err != nil {
		return err
	}
	if err := d.Started(g); err != nil {
		return err
	}
	if err := gateway.WriteDemo(abs, d); err != nil {
		return err
	}
	sock := filepath.Join(abs, "svpnd.sock")
	fmt.Fprintf(c.stdout, `
원격근무서비스 demo gateway
  API            %s   (CA: %s)
  user           %s, initial password %s (changed at first login)
  certificate    %s
                 password %s
  portal         %s (inside the tunnel only)
  state          %s/demo.json

Connect:
  svpnd run --userspace --socket %s --profile %s --proxy 127.0.0.1:1080 &
  svpnctl --socket %s login --user %s --cert '%s' --password-stdin

Or with the mobile employee ID (wallet %s, PIN %s):
  svpnctl --socket %s login --mobile-id --qr-png /tmp/qr.png
  svpn-wallet approve --wallet %s --qr-png /tmp/qr.png

Stop with Ctrl-C.
`, d.APIURL, d.CAFile, d.UserID, d.InitialPassword, d.CertPath, d.CertPassword, d.PortalURL, abs,
		sock, d.Profile, sock, d.UserID, filepath.Dir(d.CertPath),
		d.WalletPath, d.WalletPIN, sock, d.WalletPath)
	printDemoUsers(c.stdout, d, sock)
	<-ctx.Done()
	return nil
}
