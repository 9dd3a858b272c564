package e2e

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/client/engine"
	"github.com/opensvpn/svpn/client/gatewayapi"
	"github.com/opensvpn/svpn/gateway"
	"github.com/opensvpn/svpn/tunnel"
)

// BenchmarkLoginToFirstPacket measures, on loopback, the time from the
// login request to the first page fetched through the tunnel: challenge,
// RSA signature with the NPKI key, the gateway's checks with production
// argon2id, session and peer, tunnel up, WireGuard handshake, HTTP GET of
// the portal. Reports the median.
func BenchmarkLoginToFirstPacket(b *testing.B) {
	d, eng, _ := benchEngine(b)
	ctx := context.Background()
	cert, err := certstore.Load(filepath.Dir(d.CertPath))
	if err != nil {
		b.Fatal(err)
	}
	id, err := cert.Unlock([]byte(d.CertPassword))
	if err != nil {
		b.Fatal(err)
	}
	me := engine.Caller{UID: "bench"}
	pw, newPW := d.InitialPassword, "Bench-pass9!"
	var lat []time.Duration
	for b.Loop() {
		t0 := time.Now()
		begin, err := eng.BeginLogin(ctx, me, d.UserID)
		if err != nil {
			b.Fatal(err)
		}
		msg, _ := begin.Binding.Message()
		sig, alg, err := id.Sign(rand.Reader, msg, "")
		if err != nil {
			b.Fatal(err)
		}
		st, err := eng.FinishLogin(ctx, me, &api.LoginFinishRequest{LoginID: begin.LoginID, Password: pw, NewPassword: newPW,
			Certificate: cert.X509.Raw, Signature: sig, SignatureAlgorithm: alg})
		if err != nil {
			b.Fatalf("login %d (password %q, new %q): %v", len(lat), pw, newPW, err)
		}
		if newPW != "" {
			pw, newPW = newPW, ""
		}
		resp, err := portalClient().Get(st.PortalLocalURL)
		if err != nil {
			b.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(page), "행정포탈") {
			b.Fatalf("portal: %q", page)
		}
		lat = append(lat, time.Since(t0))
		b.StopTimer()
		if _, err := eng.Logout(ctx, me); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "median-ms")
}

// benchEngine starts the demo gateway (production argon2id, the portal) on
// loopback and an svpnd engine in userspace mode pinned to it, both
// stopped when b ends; pool verifies the gateway's certificate.
func benchEngine(b *testing.B) (*gateway.Demo, *engine.Engine, *x509.CertPool) {
	b.Helper()
	cfg, d, err := gateway.PrepareDemo(b.TempDir(), "127.0.0.1:0", 0)
	if err != nil {
		b.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	ctx := context.Background()
	g, err := gateway.Start(ctx, cfg, gateway.StartOptions{Logger: quiet, Portal: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { g.Close() })
	if err := gateway.EnsureDemoUser(ctx, g.Store, d, cfg.Argon2); err != nil {
		b.Fatal(err)
	}
	pem, _ := os.ReadFile(d.CAFile)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	gw, err := gatewayapi.New("https://"+g.APIAddr.String(), gatewayapi.Options{RootCAs: pool})
	if err != nil {
		b.Fatal(err)
	}
	eng := engine.New(engine.Options{
		Profile: &api.Profile{Name: "bench", GatewayURL: "https://" + g.APIAddr.String(), GatewayID: d.GatewayID}, Gateway: gw,
		NewTunnel: func(c tunnel.Config) (tunnel.Tunnel, error) { return tunnel.NewUserspace(c, quiet) },
		Userspace: true, Logger: quiet,
	})
	b.Cleanup(func() { eng.Close() })
	return d, eng, pool
}
