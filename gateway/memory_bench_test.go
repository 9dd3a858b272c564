package gateway

import (
	"context"
	"crypto/rand"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
)

// BenchmarkSessionMemory reports what 1,000 logged-in sessions cost the
// gateway: Go heap and goroutine stacks after a GC, before and after 1,000
// logins, in MB per 1,000 sessions. It counts the wireguard-go peers (on
// netstack, logging at Info as the gateway does), the gateway's own session
// state and the store's (SQLite) cache; each login's TLS channel is closed
// before the measurement, as svpnd closes it. One round per iteration;
// each keeps its gateway until the benchmark ends, so run it with
// -benchtime 1x and -count for repeats (as make bench does).
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
	h, ident := benchGateway(b, fastArgon2, n+1)
	login := func(ctx context.Context, i int) error {
		id := benchUser(i)
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
		req := &api.LoginRequest{Challenge: ch.Challenge, UserID: id, Password: benchPassword, Certificate: ident.Certificate.X509.Raw,
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
