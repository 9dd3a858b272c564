package gateway

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/certstore/certgen"
	"github.com/opensvpn/svpn/gateway/password"
	"github.com/opensvpn/svpn/gateway/store"
	"github.com/opensvpn/svpn/gateway/wgdevice"
)

// BenchmarkSessionMemory reports what 1,000 logged-in sessions cost the
// gateway: Go heap and goroutine stacks after a GC, before and after 1,000
// logins, in MB per 1,000 sessions. It counts the wireguard-go peers (on
// netstack, logging at Info as the gateway does), the gateway's own session
// state and the store's (SQLite) cache; each login's TLS channel is closed
// before the measurement, as svpnd closes it. One round per iteration.
func BenchmarkSessionMemory(b *testing.B) {
	const sessions = 1000
	var heap, stack float64
	for range b.N {
		h, logins := memoryHarness(b, sessions)
		ctx := context.Background()
		if err := logins(ctx, 0, 1); err != nil { // once-only growth first
			b.Fatal(err)
		}
		before := settledMemory(h)
		if err := logins(ctx, 1, sessions+1); err != nil {
			b.Fatal(err)
		}
		after := settledMemory(h)
		if got := h.srv.ActiveSessions(); got != sessions+1 {
			b.Fatalf("%d peers, want %d", got, sessions+1)
		}
		heap += float64(after.HeapAlloc) - float64(before.HeapAlloc)
		stack += float64(after.StackInuse) - float64(before.StackInuse)
	}
	per := float64(b.N) * sessions / 1000 * 1e6
	b.ReportMetric(heap/per, "heap-MB/1000")
	b.ReportMetric(stack/per, "stack-MB/1000")
	b.ReportMetric((heap+stack)/per, "MB/1000")
	b.ReportMetric(0, "ns/op")
}

// settledMemory is the heap and stacks once idle connections are closed and
// the garbage collected.
func settledMemory(h *harness) runtime.MemStats {
	h.client.CloseIdleConnections()
	time.Sleep(200 * time.Millisecond) // the server's connection goroutines end
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m
}

// memoryHarness is a gateway on a real wireguard-go device with n+1
// accounts (bench000000…), and logins(from, to) logs accounts [from, to) in,
// 8 at a time, each on a login channel of its own that is closed after.
func memoryHarness(b *testing.B, n int) (*harness, func(ctx context.Context, from, to int) error) {
	h := newHarness(b, func(c *Config) {
		c.Argon2 = fastArgon2
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

	// One certificate and one password hash for every account.
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
	hash, err := password.Hash("Bench-pass9!", fastArgon2)
	if err != nil {
		b.Fatal(err)
	}
	for i := range n + 1 {
		if err := h.st.AddUser(context.Background(), store.User{ID: fmt.Sprintf("bench%06d", i), PasswordHash: hash,
			Cert: CertBindingOf(u.Cert)}); err != nil {
			b.Fatal(err)
		}
	}
	login := func(ctx context.Context, i int) error {
		id := fmt.Sprintf("bench%06d", i)
		lc, err := h.client.OpenLogin(ctx)
		if err != nil {
			return err
		}
		defer lc.Close()
		pub := mustKey(b).Public().String()
		ch, err := lc.Challenge(ctx, id, pub)
		if err != nil {
			return err
		}
		req := &api.LoginRequest{Challenge: ch.Challenge, UserID: id, Password: "Bench-pass9!", Certificate: ident.Certificate.X509.Raw,
			WGPublicKey: pub, Device: api.Device{OS: "linux", ClientVersion: "bench"}, VIDRandom: ident.VIDRandom()}
		msg, err := api.LoginBinding{GatewayID: h.cfg.GatewayID, UserID: id, WGPublicKey: pub, Challenge: ch.Challenge,
			ChannelBinding: lc.ChannelBinding()}.Message()
		if err != nil {
			return err
		}
		if req.Signature, req.SignatureAlgorithm, err = ident.Sign(rand.Reader, msg, ""); err != nil {
			return err
		}
		_, err = lc.Login(ctx, req)
		return err
	}
	return h, func(ctx context.Context, from, to int) error {
		var (
			mu    sync.Mutex
			next  = from
			first error
			wg    sync.WaitGroup
		)
		for range 8 {
			wg.Go(func() {
				for {
					mu.Lock()
					i := next
					next++
					mu.Unlock()
					if i >= to {
						return
					}
					if err := login(ctx, i); err != nil {
						mu.Lock()
						if first == nil {
							first = err
						}
						mu.Unlock()
						return
					}
				}
			})
		}
		wg.Wait()
		return first
	}
}
