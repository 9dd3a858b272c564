package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/opensvpn/svpn/gateway/store"
	"github.com/opensvpn/svpn/gateway/wgdevice"
	"github.com/opensvpn/svpn/wgkey"
)

// Gateway is a running gateway: the API listener, the WireGuard device, the
// metrics listener and, in demo mode, the portal inside the tunnel.
type Gateway struct {
	Server     *Server
	Device     *wgdevice.Device
	Store      *store.Store
	APIAddr    net.Addr
	Metrics    net.Addr // nil when not configured
	PortalAddr netip.AddrPort

	cancel  context.CancelFunc
	wg      sync.WaitGroup
	servers []*http.Server
}

// StartOptions are run-time choices that are not configuration.
type StartOptions struct {
	Logger *slog.Logger
	// Portal serves the stand-in portal page on the gateway's tunnel
	// address, port 80 (netstack mode only): the demo.
	Portal bool
}

// Start opens the store, brings up the WireGuard device and serves the API
// until Close.
func Start(ctx context.Context, cfg *Config, o StartOptions) (_ *Gateway, err error) {
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	g := &Gateway{}
	defer func() {
		if err != nil {
			g.Close()
		}
	}()
	if g.Store, err = store.Open(ctx, cfg.Store); err != nil {
		return nil, err
	}
	priv, err := loadOrCreateKey(cfg.WG.PrivateKeyFile)
	if err != nil {
		return nil, err
	}
	addr, err := netip.ParsePrefix(cfg.WG.Address)
	if err != nil {
		return nil, err
	}
	g.Device, err = wgdevice.New(wgdevice.Config{
		Mode: wgdevice.Mode(cfg.WG.Mode), PrivateKey: priv, ListenPort: cfg.WG.ListenPort, Address: addr,
		MTU: cfg.WG.MTU, TUNName: cfg.WG.TUNName, NAT: cfg.WG.NAT, MaxStreams: cfg.WG.MaxStreams, Logger: log.With("component", "wireguard"),
	})
	if err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("tls_cert/tls_key: %w", err)
	}
	trusted, err := parseTrustedProxies(cfg.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("trusted_proxies: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, err
	}
	g.APIAddr = ln.Addr()
	// Clients dial the configured endpoint; without one, the API's host
	// and the device's port. A port of 0 (picked at start) is filled in.
	endpoint := cfg.WG.Endpoint
	if endpoint == "" {
		endpoint = ln.Addr().String()
	}
	if host, port, err := net.SplitHostPort(endpoint); err == nil && (port == "0" || cfg.WG.Endpoint == "") {
		endpoint = net.JoinHostPort(host, fmt.Sprint(g.Device.ListenPort()))
	}
	apiURL := cfg.APIURL
	if apiURL == "" {
		apiURL = "https://" + ln.Addr().String()
	}
	g.Server, err = New(ctx, cfg, Options{Store: g.Store, Peers: peerStatsDevice{g.Device}, PublicKey: priv.Public(),
		Endpoint: endpoint, APIURL: apiURL, Logger: log, Streams: g.Device.Streams(), MaxStreams: cfg.WG.MaxStreams})
	if err != nil {
		ln.Close()
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	g.cancel = cancel
	g.serve(log, &http.Server{Handler: g.Server.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 16 << 10,
		TLSConfig: TLSConfig(cert)}, tls.NewListener(proxyListener(ln, trusted), TLSConfig(cert)))
	if cfg.MetricsListen != "" {
		mln, err := net.Listen("tcp", cfg.MetricsListen)
		if err != nil {
			return nil, fmt.Errorf("metrics_listen: %w", err)
		}
		g.Metrics = mln.Addr()
		g.serve(log, &http.Server{Handler: g.Server.MetricsHandler(), ReadHeaderTimeout: 10 * time.Second}, mln)
	}
	if o.Portal {
		tnet := g.Device.Net()
		if tnet == nil {
			return nil, errors.New("the demo portal needs wireguard.mode netstack")
		}
		g.PortalAddr = netip.AddrPortFrom(addr.Addr(), 80)
		pln, err := tnet.ListenTCPAddrPort(g.PortalAddr)
		if err != nil {
			return nil, fmt.Errorf("portal listener: %w", err)
		}
		g.serve(log, &http.Server{Handler: PortalHandler(cfg.Name), ReadHeaderTimeout: 10 * time.Second}, pln)
	}
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		g.Server.Run(runCtx)
	}()
	log.Info("gateway serving", "api", "https://"+g.APIAddr.String(), "wireguard_port", g.Device.ListenPort(),
		"public_key", priv.Public().String(), "store", g.Store.Backend())
	return g, nil
}

func (g *Gateway) serve(log *slog.Logger, srv *http.Server, ln net.Listener) {
	g.servers = append(g.servers, srv)
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("listener stopped", "addr", ln.Addr(), "err", err)
		}
	}()
}

// Close stops serving and releases everything, waiting for every goroutine.
func (g *Gateway) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, s := range g.servers {
		s.Shutdown(ctx)
	}
	if g.cancel != nil {
		g.cancel()
	}
	g.wg.Wait()
	var errs []error
	if g.Device != nil {
		errs = append(errs, g.Device.Close())
	}
	if g.Store != nil {
		errs = append(errs, g.Store.Close())
	}
	return errors.Join(errs...)
}

// peerStatsDevice adds the metrics view to the device.
type peerStatsDevice struct{ *wgdevice.Device }

func (d peerStatsDevice) Totals() (handshaken int, rx, tx uint64) {
	peers, err := d.Peers()
	if err != nil {
		return 0, 0, 0
	}
	for _, p := range peers {
		if time.Since(p.LastHandshake) < 3*time.Minute {
			handshaken++
		}
		rx += p.RxBytes
		tx += p.TxBytes
	}
	return handshaken, rx, tx
}

// loadOrCreateKey reads the WireGuard private key file, creating it (mode
// 0600) on first start. An empty path means an ephemeral key.
func loadOrCreateKey(path string) (wgkey.Private, error) {
	if path == "" {
		return wgkey.NewPrivate()
	}
	b, err := os.ReadFile(path)
	if err == nil {
		return wgkey.ParsePrivate(strings.TrimSpace(string(b)))
	}
	if !errors.Is(err, os.ErrNotExist) {
		return wgkey.Private{}, err
	}
	k, err := wgkey.NewPrivate()
	if err != nil {
		return wgkey.Private{}, err
	}
	if err := os.WriteFile(path, []byte(k.Base64Secret()+"\n"), 0o600); err != nil {
		return wgkey.Private{}, err
	}
	return k, nil
}
