//go:build !windows

package localsock

import (
	"bufio"
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

func roundTrip(t *testing.T, addr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, addr)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "hello\n"); err != nil {
		t.Fatal(err)
	}
	got, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || got != "echo: hello\n" {
		t.Fatalf("read %q, %v", got, err)
	}
}

func TestListenDialRoundTrip(t *testing.T) {
	addr := filepath.Join(t.TempDir(), "run", "svpnd.sock")
	ln, err := Listen(addr)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	serveEcho(t, ln)
	roundTrip(t, addr)

	fi, err := os.Lstat(addr)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != 0o666 {
		t.Errorf("socket mode = %v, want socket 0666", fi.Mode())
	}
	di, err := os.Stat(filepath.Dir(addr))
	if err != nil {
		t.Fatal(err)
	}
	if di.Mode().Perm() != 0o755 {
		t.Errorf("created directory mode = %v, want 0755", di.Mode().Perm())
	}
}

// staleSocket leaves a socket file nobody listens on, as a crashed daemon
// does.
func staleSocket(t *testing.T, addr string) {
	t.Helper()
	l, err := net.Listen("unix", addr)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	if _, err := os.Lstat(addr); err != nil {
		t.Fatalf("stale socket not left behind: %v", err)
	}
}

func TestListenReplacesStaleSocket(t *testing.T) {
	addr := filepath.Join(t.TempDir(), "svpnd.sock")
	staleSocket(t, addr)
	ln, err := Listen(addr)
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	serveEcho(t, ln)
	roundTrip(t, addr)
}

func TestListenRefusesLiveSocket(t *testing.T) {
	addr := filepath.Join(t.TempDir(), "svpnd.sock")
	ln, err := Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	serveEcho(t, ln)
	ln2, err := Listen(addr)
	if err == nil {
		ln2.Close()
		t.Fatal("second Listen succeeded")
	}
	if !errors.Is(err, ErrAlreadyRunning) {
		t.Errorf("err = %v, want ErrAlreadyRunning", err)
	}
	roundTrip(t, addr) // the first daemon keeps its socket
}

func TestListenRefusesNonSocket(t *testing.T) {
	addr := filepath.Join(t.TempDir(), "svpnd.sock")
	if err := os.WriteFile(addr, []byte("not a socket"), 0o644); err != nil {
		t.Fatal(err)
	}
	if ln, err := Listen(addr); err == nil {
		ln.Close()
		t.Fatal("Listen replaced a regular file")
	}
	if b, err := os.ReadFile(addr); err != nil || string(b) != "not a socket" {
		t.Errorf("file changed: %q, %v", b, err)
	}
}

// TestListenConcurrent starts several daemons at once over a stale socket:
// exactly one may win, the others must see it running.
func TestListenConcurrent(t *testing.T) {
	addr := filepath.Join(t.TempDir(), "svpnd.sock")
	staleSocket(t, addr)
	const n = 8
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		winners []net.Listener
		errs    []error
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ln, err := Listen(addr)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			winners = append(winners, ln)
		}()
	}
	wg.Wait()
	if len(winners) != 1 {
		for _, ln := range winners {
			ln.Close()
		}
		t.Fatalf("%d listeners won, want 1 (errors: %v)", len(winners), errs)
	}
	for _, err := range errs {
		if !errors.Is(err, ErrAlreadyRunning) {
			t.Errorf("loser err = %v, want ErrAlreadyRunning", err)
		}
	}
	serveEcho(t, winners[0])
	roundTrip(t, addr)
}

func TestDialNotRunning(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := Dial(ctx, filepath.Join(dir, "absent.sock")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("no socket: err = %v, want fs.ErrNotExist", err)
	}
	stale := filepath.Join(dir, "stale.sock")
	staleSocket(t, stale)
	if _, err := Dial(ctx, stale); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("stale socket: err = %v, want ECONNREFUSED", err)
	}
}

func TestDefaultAddress(t *testing.T) {
	want := map[string]string{"linux": "/run/svpn/svpnd.sock", "darwin": "/var/run/svpnd.sock"}[runtime.GOOS]
	if want != "" && DefaultAddress() != want {
		t.Errorf("DefaultAddress() = %q, want %q", DefaultAddress(), want)
	}
}
