package localapi

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/localsock"
	"github.com/opensvpn/svpn/internal/leaktest"
)

// testAddress is a fresh local API address: a unix socket in a temporary
// directory, or on Windows a named pipe (outside ProtectedPrefix, which
// only administrators may use).
func testAddress(t *testing.T) string {
	if runtime.GOOS == "windows" {
		return fmt.Sprintf(`\\.\pipe\svpn-localapi-test-%d-%d`, os.Getpid(), time.Now().UnixNano())
	}
	return filepath.Join(t.TempDir(), "svpnd.sock")
}

// TestServeStopsWatchers: Serve returns only once every handler has,
// watch streams included, and leaves no goroutine behind.
func TestServeStopsWatchers(t *testing.T) {
	s := testServer(t)
	addr := testAddress(t)
	base := leaktest.Goroutines()
	ln, err := localsock.Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()

	var conns []net.Conn
	for range 3 {
		dctx, dcancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := localsock.Dial(dctx, addr)
		dcancel()
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: svpnd\r\n\r\n", api.LocalPathWatch)
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("watch: %v", err)
		}
		if first, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("watch: %s %q %v", resp.Status, first, err) // the first status, once streaming
		}
	}
	if n := leaktest.Goroutines(); n <= base {
		t.Fatalf("goroutines: %d while watched, %d before: the count tells nothing", n, base)
	}
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
	}
	for _, c := range conns {
		c.Close()
	}
	leaktest.Wait(t, base+leaktest.Slack, 5*time.Second)
}
