package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/opensvpn/svpn/gateway"
	"github.com/opensvpn/svpn/gateway/store"
	"github.com/opensvpn/svpn/internal/pgserver"
)

// demoCluster runs `demo --nodes N` (N >= 2): its own PostgreSQL in
// DIR/pg (a free port, the socket in that private directory, no TCP) and N
// gateway processes on it, each with its own API and WireGuard port, so one
// can be killed. All stop with the demo.
func (c *cli) demoCluster(ctx context.Context, abs, listen string, wgPort, nodes int, tune func(*gateway.Config)) error {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return usagef("--listen: %v", err)
	}
	if port == "0" {
		p, err := gateway.FreePort()
		if err != nil {
			return err
		}
		listen = net.JoinHostPort(host, strconv.Itoa(p))
	}
	if wgPort == 0 {
		l, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		wgPort = l.LocalAddr().(*net.UDPAddr).Port
		l.Close()
	}
	cfg, d, err := gateway.PrepareDemo(abs, listen, wgPort)
	if err != nil {
		return err
	}
	tune(cfg)
	if os.Geteuid() == 0 {
		// The server runs as the postgres user, which must reach DIR/pg:
		// traverse DIR, without listing it (its files keep their modes).
		if err := os.Chmod(abs, 0o711); err != nil {
			return err
		}
	}
	pgPort, err := gateway.FreePort()
	if err != nil {
		return err
	}
	pg, err := pgserver.Start(pgserver.Options{Dir: filepath.Join(abs, "pg"), Port: pgPort, Durable: true})
	if err != nil {
		return fmt.Errorf("the demo's PostgreSQL: %w", err)
	}
	defer pg.Stop()
	// Like a service manager, the demo starts its PostgreSQL again if it
	// stops (an operator's restart, a crash): the nodes reconnect on their
	// own.
	keepCtx, stopKeeping := context.WithCancel(ctx)
	var keeper sync.WaitGroup
	keeper.Go(func() {
		pg.KeepRunning(keepCtx, func(err error) {
			if err != nil {
				fmt.Fprintf(c.stderr, "the demo's PostgreSQL stopped and did not start again (retrying): %v\n", err)
				return
			}
			fmt.Fprintf(c.stdout, "the demo's PostgreSQL stopped; started again, pid %d\n", pg.PID())
		})
	})
	defer func() { stopKeeping(); keeper.Wait() }()
	cfg.Store = pg.DSN()
	cfgs, _, err := gateway.PrepareDemoNodes(abs, cfg, d, nodes)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.Store)
	if err != nil {
		return err
	}
	err = gateway.EnsureDemoUser(ctx, st, d, cfg.Argon2)
	st.Close()
	if err != nil {
		return err
	}

	exe, err := os.Executable()
	if err != nil {
		return err
	}
	var procs []*exec.Cmd
	defer func() {
		for _, p := range procs {
			p.Process.Signal(syscall.SIGTERM)
		}
		for _, p := range procs {
			p.Wait()
		}
	}()
	for _, nc := range cfgs {
		logf, err := os.OpenFile(filepath.Join(abs, nc.Node+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return err
		}
		cmd := exec.Command(exe, "serve", "--config", filepath.Join(abs, nc.Node+".json"), "--demo-portal")
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.SysProcAttr = nodeProcAttr()
		err = cmd.Start()
		logf.Close()
		if err != nil {
			return err
		}
		procs = append(procs, cmd)
		d.Nodes = append(d.Nodes, gateway.DemoNode{APIURL: nc.APIURL, WGPort: nc.WG.ListenPort,
			Config: filepath.Join(abs, nc.Node+".json"), PID: cmd.Process.Pid})
	}
	d.WireGuardPort = cfg.WG.ListenPort
	// Every node answers before demo.json says they do.
	for _, nc := range cfgs {
		if err := waitListening(ctx, nc.Listen, 30*time.Second); err != nil {
			return fmt.Errorf("%s did not start (see %s.log): %w", nc.Node, filepath.Join(abs, nc.Node), err)
		}
	}
	if err := gateway.WriteDemo(abs, d); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "\n원격근무서비스 demo cluster: %d nodes on PostgreSQL (%s)\n", nodes, filepath.Join(abs, "pg"))
	for i, n := range d.Nodes {
		fmt.Fprintf(c.stdout, "  node%d  %s  wireguard %d  pid %d  config %s\n", i+1, n.APIURL, n.WGPort, n.PID, n.Config)
	}
	fmt.Fprintf(c.stdout, "  user %s, initial password %s; certificate %s (password %s)\n  profile %s lists every node; state %s/demo.json\n  svpn-gateway node list --config %s\nStop with Ctrl-C.\n",
		d.UserID, d.InitialPassword, d.CertPath, d.CertPassword, d.Profile, abs, d.Config)
	<-ctx.Done()
	return nil
}

func waitListening(ctx context.Context, addr string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.New("stopped")
		case <-time.After(100 * time.Millisecond):
		}
	}
}
