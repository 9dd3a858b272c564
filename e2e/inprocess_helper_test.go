package e2e

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/opensvpn/svpn/client/daemon"
	"github.com/opensvpn/svpn/gateway"
	"github.com/opensvpn/svpn/gateway/password"
)

// inProcess is the demo gateway (on netstack, fast argon2id) and svpnd in
// userspace mode, both running in the test's own process.
type inProcess struct {
	g    *gateway.Gateway
	d    *gateway.Demo
	sock string

	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

// startInProcess starts both, svpnd listening on sock; they stop when the
// test ends (or at stop).
func startInProcess(t *testing.T, sock string) *inProcess {
	t.Helper()
	cfg, d, err := gateway.PrepareDemo(t.TempDir(), "127.0.0.1:0", 0)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Argon2 = password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	ctx, cancel := context.WithCancel(context.Background())
	p := &inProcess{d: d, sock: sock, cancel: cancel, done: make(chan error, 1)}
	p.g, err = gateway.Start(ctx, cfg, gateway.StartOptions{Logger: slog.New(slog.DiscardHandler), Portal: true})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { p.g.Close() })
	if err := gateway.EnsureDemoUser(ctx, p.g.Store, d, cfg.Argon2); err != nil {
		t.Fatal(err)
	}
	// The profile names the API address the gateway got.
	if err := rewriteProfileURL(d.Profile, "https://"+p.g.APIAddr.String()); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	go func() {
		p.done <- daemon.Run(ctx, daemon.Options{Userspace: true, Socket: sock, Profile: d.Profile, ProxyAddr: "127.0.0.1:0",
			Version: "test", LogOutput: io.Discard, Ready: func() { close(ready) }})
	}()
	t.Cleanup(func() {
		if err := p.stop(); err != nil {
			t.Errorf("svpnd: %v", err)
		}
	})
	select {
	case <-ready:
	case err := <-p.done:
		p.once.Do(func() { p.err = err })
		t.Fatal(err)
	case <-time.After(20 * time.Second):
		t.Fatal("svpnd did not start")
	}
	return p
}

// stop stops svpnd and returns how it ended; later calls return the same.
func (p *inProcess) stop() error {
	p.once.Do(func() {
		p.cancel()
		p.err = <-p.done
	})
	return p.err
}
