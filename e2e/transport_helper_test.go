package e2e

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/client/engine"
	"github.com/opensvpn/svpn/client/gatewayapi"
	"github.com/opensvpn/svpn/gateway"
	"github.com/opensvpn/svpn/gateway/password"
	"github.com/opensvpn/svpn/tunnel"
)

// udpRelay stands between the client and the gateway's WireGuard port: the
// endpoint the gateway hands out. While blocked it drops everything, as a
// network that filters UDP does; open, it forwards both ways.
type udpRelay struct {
	pc      net.PacketConn
	up      *net.UDPConn // towards the gateway
	target  atomic.Pointer[net.UDPAddr]
	client  atomic.Pointer[net.Addr]
	blocked atomic.Bool
	wg      sync.WaitGroup
}

func newUDPRelay(t testing.TB) *udpRelay {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	up, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	r := &udpRelay{pc: pc, up: up}
	r.blocked.Store(true)
	r.wg.Add(2)
	go func() {
		defer r.wg.Done()
		buf := make([]byte, 65535)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if tg := r.target.Load(); tg != nil && !r.blocked.Load() {
				r.client.Store(&from)
				up.WriteToUDP(buf[:n], tg)
			}
		}
	}()
	go func() {
		defer r.wg.Done()
		buf := make([]byte, 65535)
		for {
			n, _, err := up.ReadFromUDP(buf)
			if err != nil {
				return
			}
			if c := r.client.Load(); c != nil && !r.blocked.Load() {
				pc.WriteTo(buf[:n], *c)
			}
		}
	}()
	t.Cleanup(func() {
		pc.Close()
		up.Close()
		r.wg.Wait()
	})
	return r
}

func (r *udpRelay) addr() string { return r.pc.LocalAddr().String() }

// transportHarness is the demo gateway on netstack, whose WireGuard
// endpoint is a udpRelay, and a client engine in userspace mode.
type transportHarness struct {
	t     testing.TB
	dir   string
	cfg   *gateway.Config
	demo  *gateway.Demo
	g     *gateway.Gateway
	relay *udpRelay
	eng   *engine.Engine
	me    engine.Caller
	pw    string
}

func newTransportHarness(t testing.TB, transport api.Transport, o engine.Options) *transportHarness {
	return newTransportHarnessArgon(t, transport, o, false)
}

// newTransportHarnessArgon is newTransportHarness, with the production
// argon2id parameters if prodArgon (benchmarks), else fast ones.
func newTransportHarnessArgon(t testing.TB, transport api.Transport, o engine.Options, prodArgon bool) *transportHarness {
	t.Helper()
	h := &transportHarness{t: t, dir: t.TempDir(), relay: newUDPRelay(t), me: engine.Caller{UID: "t"}}
	var err error
	h.cfg, h.demo, err = gateway.PrepareDemo(h.dir, "127.0.0.1:0", 0)
	if err != nil {
		t.Fatal(err)
	}
	if !prodArgon {
		h.cfg.Argon2 = password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	}
	h.cfg.WG.Endpoint = h.relay.addr()
	h.startGateway()
	if err := gateway.EnsureDemoUser(context.Background(), h.g.Store, h.demo, h.cfg.Argon2); err != nil {
		t.Fatal(err)
	}
	pem, _ := os.ReadFile(h.demo.CAFile)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	url := "https://" + h.g.APIAddr.String()
	gw, err := gatewayapi.New(url, gatewayapi.Options{RootCAs: pool, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	if os.Getenv("SVPN_DEBUG_LOG") != "" {
		quiet = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	o.Profile = &api.Profile{Name: "t", GatewayURL: url, GatewayID: h.demo.GatewayID, Transport: transport}
	o.Gateway = gw
	o.NewTunnel = func(c tunnel.Config) (tunnel.Tunnel, error) { return tunnel.NewUserspace(c, quiet) }
	o.Userspace, o.Logger, o.ProxyAddr = true, quiet, "127.0.0.1:0"
	h.eng = engine.New(o)
	t.Cleanup(func() {
		h.eng.Close()
		// A heartbeat the last stream's end prompted may have left a
		// dialled, unused connection in the pool, which the gateway's
		// shutdown would wait 5 s for.
		gw.CloseIdleConnections()
	})
	return h
}

// startGateway starts the gateway on cfg (again after stopGateway: same
// store, keys and, once known, the same API port).
func (h *transportHarness) startGateway() {
	h.t.Helper()
	g, err := gateway.Start(context.Background(), h.cfg, gateway.StartOptions{Logger: slog.New(slog.DiscardHandler), Portal: true})
	if err != nil {
		h.t.Fatal(err)
	}
	h.g = g
	h.cfg.Listen = g.APIAddr.String()
	h.relay.target.Store(&net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: g.Device.ListenPort()})
	h.t.Cleanup(func() { g.Close() })
}

// login logs the demo user in (changing the initial password the first
// time) and returns the status.
func (h *transportHarness) login(ctx context.Context) (api.Status, error) {
	cert, err := certstore.Load(filepath.Dir(h.demo.CertPath))
	if err != nil {
		return api.Status{}, err
	}
	id, err := cert.Unlock([]byte(h.demo.CertPassword))
	if err != nil {
		return api.Status{}, err
	}
	begin, err := h.eng.BeginLogin(ctx, h.me, h.demo.UserID)
	if err != nil {
		return api.Status{}, err
	}
	msg, _ := begin.Binding.Message()
	sig, alg, err := id.Sign(rand.Reader, msg, "")
	if err != nil {
		return api.Status{}, err
	}
	req := &api.LoginFinishRequest{LoginID: begin.LoginID, Password: h.demo.InitialPassword, NewPassword: "Transport-9!",
		Certificate: cert.X509.Raw, Signature: sig, SignatureAlgorithm: alg}
	if h.pw != "" {
		req.Password, req.NewPassword = h.pw, ""
	}
	st, err := h.eng.FinishLogin(ctx, h.me, req)
	if err == nil {
		h.pw = "Transport-9!"
	}
	return st, err
}

// portal fetches the portal through the tunnel.
func (h *transportHarness) portal() error {
	st := h.eng.Status()
	resp, err := portalClient().Get(st.PortalLocalURL)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	page, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if !strings.Contains(string(page), "행정포탈") {
		return io.ErrUnexpectedEOF
	}
	return nil
}
