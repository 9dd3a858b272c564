//go:build linux || darwin

package localsock

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// childDialEnv makes the test binary a client: it dials the socket named
// by the variable, sends one line and prints the answer. The root-only
// test runs it as another user.
const childDialEnv = "SVPN_LOCALAPI_TEST_DIAL"

func TestMain(m *testing.M) {
	if addr := os.Getenv(childDialEnv); addr != "" {
		os.Exit(childDial(addr))
	}
	os.Exit(m.Run())
}

func childDial(addr string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, "hello from child\n"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	reply, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Print(reply)
	return 0
}

// acceptOne accepts a single connection with a deadline.
func acceptOne(t *testing.T, ln net.Listener) net.Conn {
	t.Helper()
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		c, err := ln.Accept()
		ch <- result{c, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("Accept: %v", r.err)
		}
		return r.c
	case <-time.After(15 * time.Second):
		ln.Close() // ends the Accept goroutine
		t.Fatal("no connection")
		return nil
	}
}

func TestPeerIdentitySelf(t *testing.T) {
	addr := filepath.Join(t.TempDir(), "svpnd.sock")
	ln, err := Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	client, err := Dial(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server := acceptOne(t, ln)
	defer server.Close()

	id, err := PeerIdentity(server)
	if err != nil {
		t.Fatalf("PeerIdentity: %v", err)
	}
	euid := os.Geteuid()
	if id.UID != strconv.Itoa(euid) || id.Admin != (euid == 0) {
		t.Errorf("PeerIdentity = %+v, want uid %d admin %v", id, euid, euid == 0)
	}
	if u, err := user.LookupId(strconv.Itoa(euid)); err == nil && id.Username != u.Username {
		t.Errorf("Username = %q, want %q", id.Username, u.Username)
	}
}

func TestPeerIdentityNotUnixSocket(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if id, err := PeerIdentity(a); err == nil {
		t.Errorf("PeerIdentity(net.Pipe) = %+v, want an error", id)
	}
}

// TestPeerIdentityOtherUser connects as uid 65534 from a child process and
// checks the daemon sees that uid, not its own, and no admin rights.
func TestPeerIdentityOtherUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to start a client as another user")
	}
	const uid = 65534

	// The child runs as uid 65534: it needs a copy of the test binary and
	// a socket in a directory it can reach (t.TempDir is 0700).
	dir, err := os.MkdirTemp("", "svpn-localsock-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "client.test")
	copyFile(t, self, bin)

	addr := filepath.Join(dir, "svpnd.sock")
	ln, err := Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Dir = dir
	cmd.Env = []string{childDialEnv + "=" + addr, "PATH=/usr/bin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
	cmd.WaitDelay = 5 * time.Second
	out := make(chan string, 1)
	go func() {
		b, err := cmd.CombinedOutput()
		if err != nil {
			b = append(b, []byte(" ("+err.Error()+")")...)
		}
		out <- string(b)
	}()

	server := acceptOne(t, ln)
	defer server.Close()
	id, err := PeerIdentity(server)
	if err != nil {
		t.Fatalf("PeerIdentity: %v", err)
	}
	if id.UID != strconv.Itoa(uid) || id.Admin {
		t.Errorf("PeerIdentity = %+v, want uid %d, not admin", id, uid)
	}
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil && id.Username != u.Username {
		t.Errorf("Username = %q, want %q", id.Username, u.Username)
	}
	t.Logf("peer: %+v", id)

	server.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(server).ReadString('\n')
	if err != nil || line != "hello from child\n" {
		t.Fatalf("read %q, %v", line, err)
	}
	io.WriteString(server, "hello, "+id.UID+"\n")
	if got := <-out; got != "hello, 65534\n" {
		t.Errorf("child said %q", got)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	o, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(o, in); err != nil {
		o.Close()
		t.Fatal(err)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
}
