package gateway

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"github.com/opensvpn/svpn/internal/nettest"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/tun/netstack"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/client/gatewayapi"
	"github.com/opensvpn/svpn/wgkey"
)

// startDemo runs the demo gateway in-process on loopback.
func startDemo(t testing.TB) (*Gateway, *Demo, string) {
	t.Helper()
	dir := t.TempDir()
	cfg, d, err := PrepareDemo(dir, "127.0.0.1:0", 0)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Argon2 = fastArgon2
	g, err := Start(context.Background(), cfg, StartOptions{Logger: slog.New(slog.DiscardHandler), Portal: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	if err := EnsureDemoUser(context.Background(), g.Store, d, cfg.Argon2); err != nil {
		t.Fatal(err)
	}
	if err := d.Started(g); err != nil {
		t.Fatal(err)
	}
	// Port 0 was asked for: demo.json and the profile name the ports held.
	if d.APIURL != "https://"+g.APIAddr.String() || d.WireGuardPort == 0 || d.WireGuardPort != g.Device.ListenPort() {
		t.Fatalf("after Started: api_url %s (listening on %s), wireguard_port %d", d.APIURL, g.APIAddr, d.WireGuardPort)
	}
	var p api.Profile
	if b, err := os.ReadFile(d.Profile); err != nil || json.Unmarshal(b, &p) != nil || p.GatewayURL != d.APIURL {
		t.Fatalf("profile gateway_url %q, want %s (%v)", p.GatewayURL, d.APIURL, err)
	}
	return g, d, dir
}

// wgClient is a WireGuard client made directly from wireguard-go on
// netstack, configured from a login response.
type wgClient struct {
	dev  *device.Device
	tnet *netstack.Net
}

func newWGClient(t testing.TB, priv wgkey.Private, tun api.Tunnel) *wgClient {
	t.Helper()
	addr := netip.MustParsePrefix(tun.Address).Addr()
	td, tnet, err := netstack.CreateNetTUN([]netip.Addr{addr}, nil, tun.MTU)
	if err != nil {
		t.Fatal(err)
	}
	dev := device.NewDevice(td, conn.NewDefaultBind(), device.NewLogger(device.LogLevelSilent, ""))
	srv, err := wgkey.ParsePublic(tun.ServerPublicKey)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "private_key=%s\npublic_key=%s\nendpoint=%s\npersistent_keepalive_interval=%d\n", priv.UAPIHex(), srv.Hex(), tun.Endpoint, tun.Keepalive)
	for _, r := range tun.Routes {
		fmt.Fprintf(&b, "allowed_ip=%s\n", r)
	}
	if err := dev.IpcSet(b.String()); err != nil {
		t.Fatal(err)
	}
	if err := dev.Up(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dev.Close)
	return &wgClient{dev: dev, tnet: tnet}
}

func (c *wgClient) get(ctx context.Context, url string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return nettest.Get(ctx, c.tnet.DialContext, url)
}

// TestDemoEndToEnd logs in to the demo gateway with its NPKI certificate
// from the simulated USB drive, changes the initial password, and loads the
// portal through a WireGuard tunnel; logout removes the peer.
func TestDemoEndToEnd(t *testing.T) {
	g, d, dir := startDemo(t)
	ctx := context.Background()
	pool := x509.NewCertPool()
	ca, err := os.ReadFile(d.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool.AppendCertsFromPEM(ca)
	client, err := gatewayapi.New(d.APIURL, gatewayapi.Options{RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := certstore.Load(filepath.Dir(d.CertPath))
	if err != nil {
		t.Fatal(err)
	}
	id, err := cert.Unlock([]byte(d.CertPassword))
	if err != nil {
		t.Fatal(err)
	}
	priv, _ := wgkey.NewPrivate()
	login := func(pw, newPW string) (*api.LoginResponse, error) {
		lc, err := client.OpenLogin(ctx)
		if err != nil {
			return nil, err
		}
		defer lc.Close()
		ch, err := lc.Challenge(ctx, d.UserID, priv.Public().String())
		if err != nil {
			return nil, err
		}
		msg, err := api.LoginBinding{GatewayID: d.GatewayID, UserID: d.UserID, WGPublicKey: priv.Public().String(),
			Challenge: ch.Challenge, ChannelBinding: lc.ChannelBinding()}.Message()
		if err != nil {
			return nil, err
		}
		sig, alg, err := id.Sign(rand.Reader, msg, "")
		if err != nil {
			return nil, err
		}
		return lc.Login(ctx, &api.LoginRequest{Challenge: ch.Challenge, UserID: d.UserID, Password: pw, NewPassword: newPW,
			Certificate: cert.X509.Raw, Signature: sig, SignatureAlgorithm: alg, WGPublicKey: priv.Public().String()})
	}
	_, err = login(d.InitialPassword, "")
	wantCode(t, err, api.CodePasswordChangeRequired)
	resp, err := login(d.InitialPassword, "Remote-work9!")
	if err != nil {
		t.Fatal(err)
	}
	c := newWGClient(t, priv, resp.Tunnel)
	page, err := c.get(ctx, resp.PortalURL)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page, "행정포탈") {
		t.Fatalf("portal page: %q", page)
	}
	peers, err := g.Device.Peers()
	if err != nil || len(peers) != 1 || peers[0].LastHandshake.IsZero() {
		t.Fatalf("device peers %+v %v", peers, err)
	}
	if err := client.Logout(ctx, resp.SessionToken); err != nil {
		t.Fatal(err)
	}
	peers, _ = g.Device.Peers()
	if len(peers) != 0 {
		t.Fatalf("logout left %d peer(s)", len(peers))
	}
	short, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := c.get(short, resp.PortalURL+"healthz"); err == nil {
		t.Fatal("the portal is still reachable after logout")
	}

	// The demo reuses its state: same CA, same certificate.
	_, again, err := PrepareDemo(dir, "127.0.0.1:0", 0)
	if err != nil || again.CertPath != d.CertPath {
		t.Fatalf("demo state not reused: %v, %s -> %s", err, d.CertPath, again.CertPath)
	}
}
