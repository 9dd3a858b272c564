// Package daemon assembles svpnd: the profile, the gateway client, the
// engine with its tunnel factory, and the local API server on its socket.
// cmd/svpnd parses flags and runs it; tests run it in-process.
package daemon

import (
	"context"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/diag"
	"github.com/opensvpn/svpn/client/engine"
	"github.com/opensvpn/svpn/client/gatewayapi"
	"github.com/opensvpn/svpn/client/localapi"
	"github.com/opensvpn/svpn/client/localsock"
	"github.com/opensvpn/svpn/client/netmon"
	"github.com/opensvpn/svpn/client/posture"
	"github.com/opensvpn/svpn/tunnel"
	"github.com/opensvpn/svpn/tunnel/firewall"
)

// Options are svpnd's settings.
type Options struct {
	Userspace     bool
	Socket        string
	Profile       string
	ProxyAddr     string
	PortalForward string
	StateDir      string
	TUNName       string
	Version       string
	LogOutput     io.Writer // default os.Stderr
	Verbose       bool
	// Ready, when set, is called once the socket listens.
	Ready func()
}

// Run runs the daemon until ctx ends.
func Run(ctx context.Context, o Options) error {
	if o.LogOutput == nil {
		o.LogOutput = os.Stderr
	}
	level := slog.LevelInfo
	if o.Verbose {
		level = slog.LevelDebug
	}
	ring := diag.NewRing(slog.NewTextHandler(o.LogOutput, &slog.HandlerOptions{Level: level}), 2000)
	log := slog.New(ring)

	profile, err := api.LoadProfile(o.Profile)
	if err != nil {
		return err
	}
	var dial func(ctx context.Context, network, addr string) (net.Conn, error)
	if mark := firewall.MarkControl(engine.ProbeMark); mark != nil && !o.Userspace {
		// A kill switch kept after the session ended lets only svpnd's
		// marked sockets reach DNS: the gateway's name must still resolve
		// for the next login.
		resolver := &net.Resolver{PreferGo: true, Dial: (&net.Dialer{Control: mark}).DialContext}
		dial = (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second, Resolver: resolver}).DialContext
	}
	gw, err := gatewayClient(profile, dial)
	if err != nil {
		return err
	}
	defer gw.CloseIdleConnections()
	var newTunnel engine.NewTunnelFunc
	var fw engine.Firewall
	if o.Userspace {
		newTunnel = func(cfg tunnel.Config) (tunnel.Tunnel, error) {
			return tunnel.NewUserspace(cfg, log.With("component", "tunnel"))
		}
	} else {
		if err := os.MkdirAll(o.StateDir, 0o700); err != nil {
			return err
		}
		// A previous run that crashed or was killed may have left routes,
		// DNS settings or the interface behind: undo them first.
		if err := tunnel.Recover(o.StateDir, log); err != nil {
			log.Error("recovering from the previous run", "err", err)
		}
		newTunnel = func(cfg tunnel.Config) (tunnel.Tunnel, error) {
			return tunnel.NewOS(cfg, tunnel.OSOptions{Name: o.TUNName, StateDir: o.StateDir, Logger: log.With("component", "tunnel")})
		}
		// A kill switch from before a crash stays in force; other rules
		// of a run that did not stop are removed.
		guard, err := firewall.Open(firewall.Options{StateDir: o.StateDir, Logger: log})
		if err != nil {
			return api.Errorf(api.CodeFirewall, "%w", err)
		}
		defer guard.Close()
		fw = guard
	}
	eng := engine.New(engine.Options{
		Profile: profile, Gateway: gw, NewTunnel: newTunnel, Userspace: o.Userspace,
		ProxyAddr: o.ProxyAddr, PortalForwardAddr: o.PortalForward,
		Posture: posture.Collect, Device: posture.DeviceInfo(o.Version), Version: o.Version, Logger: log,
		Firewall: fw, EventsFile: eventsFile(o),
	})
	defer eng.Close()
	ln, err := localsock.Listen(o.Socket)
	if err != nil {
		return err
	}
	log.Info("svpnd running", "version", o.Version, "socket", o.Socket, "gateway", profile.GatewayURL, "userspace", o.Userspace)
	if o.Ready != nil {
		o.Ready()
	}
	srv := localapi.NewServer(localapi.ServerOptions{Engine: eng, Gateway: gw, Profile: profile, Logger: log, Logs: ring.Lines})
	monCtx, stopMon := context.WithCancel(ctx)
	monDone := make(chan struct{})
	go func() {
		defer close(monDone)
		if err := netmon.Watch(monCtx, eng.NetworkChanged); err != nil {
			log.Warn("network change monitor unavailable; relying on heartbeats", "err", err)
		}
	}()
	sleepDone := make(chan struct{})
	go func() {
		defer close(sleepDone)
		resumed := func() {
			log.Info("resumed from sleep: re-handshaking")
			eng.NetworkChanged()
		}
		if err := netmon.WatchSleep(monCtx, resumed); err != nil {
			log.Warn("sleep notifications unavailable; relying on the heartbeat's clock", "err", err)
		}
	}()
	err = srv.Serve(ctx, ln)
	stopMon()
	<-monDone
	<-sleepDone
	log.Info("svpnd stopping")
	return err
}

// GatewayClient builds the API client of a profile: its CA file and pin.
func GatewayClient(p *api.Profile) (*gatewayapi.Client, error) { return gatewayClient(p, nil) }

// gatewayClient is GatewayClient with a dialer of svpnd's (nil: the
// default).
func gatewayClient(p *api.Profile, dial func(ctx context.Context, network, addr string) (net.Conn, error)) (*gatewayapi.Client, error) {
	var pool *x509.CertPool
	if p.CAFile != "" {
		pem, err := os.ReadFile(p.CAFile)
		if err != nil {
			return nil, api.Errorf(api.CodeProfileInvalid, "profile ca_file: %w", err)
		}
		pool = x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, api.Errorf(api.CodeProfileInvalid, "profile ca_file %s: no PEM certificate", p.CAFile)
		}
	}
	return gatewayapi.New(p.GatewayURL, gatewayapi.Options{RootCAs: pool, Pin: p.CAPin, DialContext: dial})
}

// eventsFile is where svpnd keeps the events the gateway's audit log has
// not taken yet; userspace mode opens no exemptions and keeps none.
func eventsFile(o Options) string {
	if o.Userspace || o.StateDir == "" {
		return ""
	}
	return filepath.Join(o.StateDir, "unreported-events.json")
}
