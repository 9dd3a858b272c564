package gateway

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/certstore/certgen"
	"github.com/opensvpn/svpn/gateway/password"
	"github.com/opensvpn/svpn/gateway/store"
	"github.com/opensvpn/svpn/gateway/wgdevice"
	"github.com/opensvpn/svpn/wgkey"
)

// BenchmarkLogin measures gateway logins per second with the production
// argon2id parameters (19 MiB, t=2), the real wireguard-go device
// (netstack) and SQLite, N clients at once over loopback TLS. Requests are
// challenged and signed before the clock starts: the client's RSA signing
// is not the gateway's work. Reports logins/s and p50/p99 latency.
func BenchmarkLogin(b *testing.B) {
	for _, clients := range []int{4, 16} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) { benchLogin(b, clients) })
	}
}

func benchLogin(b *testing.B, clients int) {
	n := b.N
	h, ident := benchGateway(b, password.DefaultParams, n)
	reqs := make([]*api.LoginRequest, n)
	for i := range reqs {
		a := &account{id: benchUser(i), password: benchPassword, identity: ident, wg: mustKey(b)}
		reqs[i] = h.loginRequest(a)
	}
	ctx := context.Background()
	lat := make([]time.Duration, n)
	var next sync.Mutex
	i := 0
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				next.Lock()
				k := i
				i++
				next.Unlock()
				if k >= n {
					return
				}
				t0 := time.Now()
				if _, err := h.send(ctx, reqs[k]); err != nil {
					b.Error(err)
					return
				}
				lat[k] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(n)/elapsed.Seconds(), "logins/s")
	b.ReportMetric(float64(lat[n/2].Milliseconds()), "p50-ms")
	b.ReportMetric(float64(lat[min(n-1, n*99/100)].Milliseconds()), "p99-ms")
}

const benchPassword = "Bench-pass9!"

func benchUser(i int) string { return fmt.Sprintf("bench%06d", i) }

// benchGateway is a gateway on a real wireguard-go device (netstack, a /16
// pool, logging at Info as the gateway does) with n accounts benchUser(i)
// sharing one certificate and one password hash under params: issuing and
// hashing per user would dominate the setup, not the measurement. It
// returns the accounts' unlocked certificate.
func benchGateway(b *testing.B, params password.Params, n int) (*harness, *certstore.Identity) {
	h := newHarness(b, func(c *Config) {
		c.Argon2 = params
		c.SourceLimit = 1 << 30
		c.Posture.RequireAntivirus = false
	})
	dev, err := wgdevice.New(wgdevice.Config{Mode: wgdevice.ModeNetstack, PrivateKey: mustKey(b), Address: netip.MustParsePrefix("10.77.0.1/16"),
		Logger: slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { dev.Close() })
	h.cfg.WG.Address = "10.77.0.1/16"
	h.srv.peers = dev
	h.srv.pool = netip.MustParsePrefix("10.77.0.0/16")

	u, err := h.pki.Yessign.IssueUser(certgen.UserOptions{Name: "벤치", Key: h.pki.Root.Key})
	if err != nil {
		b.Fatal(err)
	}
	dir, err := u.WriteNPKI(filepath.Join(b.TempDir(), "NPKI"), "pw", certstore.SchemeSEEDLegacy)
	if err != nil {
		b.Fatal(err)
	}
	c, _ := certstore.Load(dir)
	ident, err := c.Unlock([]byte("pw"))
	if err != nil {
		b.Fatal(err)
	}
	hash, err := password.Hash(benchPassword, params)
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		if err := h.st.AddUser(context.Background(), store.User{ID: benchUser(i), PasswordHash: hash,
			Cert: CertBindingOf(u.Cert)}); err != nil {
			b.Fatal(err)
		}
	}
	return h, ident
}

// BenchmarkArgon2Bound is the bound the login rate is judged against: one
// argon2id verification with the production parameters, on all cores.
func BenchmarkArgon2Bound(b *testing.B) {
	hash, _ := password.Hash("x", password.DefaultParams)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			password.Verify(hash, "x")
		}
	})
}

func mustKey(b testing.TB) wgkey.Private {
	k, err := wgkey.NewPrivate()
	if err != nil {
		b.Fatal(err)
	}
	return k
}
