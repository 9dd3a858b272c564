package localsock

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/windows"
)

// TestPipeRoundTripAndPeer listens on a pipe outside ProtectedPrefix (a
// test need not be an administrator), connects twice, and checks that
// PeerIdentity names this process's own account.
func TestPipeRoundTripAndPeer(t *testing.T) {
	addr := fmt.Sprintf(`\\.\pipe\svpn-localsock-test-%d-%d`, os.Getpid(), time.Now().UnixNano())
	ln, err := Listen(addr)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	ids := make(chan Identity, 2)
	serve(t, ln, func(c net.Conn) {
		id, err := PeerIdentity(c)
		if err != nil {
			t.Errorf("PeerIdentity: %v", err)
		}
		ids <- id
		echo(c)
	})

	tok := windows.GetCurrentProcessToken()
	me, err := tok.GetTokenUser()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c, err := Dial(ctx, addr)
		cancel()
		if err != nil {
			t.Fatalf("Dial %d: %v", i, err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.WriteString(c, "hello\n"); err != nil {
			t.Fatal(err)
		}
		got, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if err != nil || got != "echo: hello\n" {
			t.Fatalf("round trip %d: read %q, %v", i, got, err)
		}
		id := <-ids
		if id.UID != me.User.Sid.String() {
			t.Errorf("PeerIdentity UID = %q, want %q", id.UID, me.User.Sid.String())
		}
		t.Logf("peer %+v", id)
	}
}

// TestListenTwice: a second Listen on a served pipe reports
// ErrAlreadyRunning.
func TestListenTwice(t *testing.T) {
	addr := fmt.Sprintf(`\\.\pipe\svpn-localsock-test2-%d-%d`, os.Getpid(), time.Now().UnixNano())
	ln, err := Listen(addr)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	serve(t, ln, func(net.Conn) {})
	if _, err := Listen(addr); err == nil || !errors.Is(err, ErrAlreadyRunning) {
		t.Errorf("second Listen: %v, want ErrAlreadyRunning", err)
	}
}
