//go:build linux || darwin

package tray

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const squatEnv = "SVPN_TRAY_TEST_SQUAT"

// squat listens on path as whoever runs it, answers every request "ok"
// and reports it on stdout.
func squat(path string) int {
	ln, err := net.Listen("unix", path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	os.Chmod(path, 0o777)
	fmt.Println("listening")
	for {
		c, err := ln.Accept()
		if err != nil {
			return 0
		}
		// Connecting is allowed (that is how the peer is checked);
		// receiving a request is not.
		line, _ := bufio.NewReader(c).ReadString('\n')
		if line != "" {
			fmt.Printf("got: %s\n", strings.TrimSuffix(line, "\n"))
		}
		io.WriteString(c, "ok\n")
		c.Close()
	}
}

// TestInstancePathPrivate: a runtime directory other users may write is
// not used, and the fallback directory must be the user's own, 0700, and
// not a symlink.
func TestInstancePathPrivate(t *testing.T) {
	open := t.TempDir()
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", open)
	t.Setenv("TMPDIR", tmp)
	p, err := InstancePath("/run/svpn/svpnd.sock")
	if err != nil {
		t.Fatal(err)
	}
	own := filepath.Join(tmp, fmt.Sprintf("svpn-%d", os.Getuid()))
	if filepath.Dir(p) != own {
		t.Fatalf("InstancePath with a world-writable XDG_RUNTIME_DIR = %s, want it in %s", p, own)
	}
	if fi, err := os.Lstat(own); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Fatalf("%s: %v %v, want a 0700 directory", own, fi.Mode(), err)
	}

	// A private XDG_RUNTIME_DIR is used.
	private := t.TempDir()
	os.Chmod(private, 0o700)
	t.Setenv("XDG_RUNTIME_DIR", private)
	if p, err := InstancePath("/x.sock"); err != nil || filepath.Dir(p) != private {
		t.Fatalf("InstancePath with a private XDG_RUNTIME_DIR = %s, %v", p, err)
	}

	// A pre-created fallback directory open to others, or a symlink, is
	// refused.
	t.Setenv("XDG_RUNTIME_DIR", "")
	for name, plant := range map[string]func(dir string) error{
		"world-writable": func(dir string) error {
			if err := os.Mkdir(dir, 0o700); err != nil {
				return err
			}
			return os.Chmod(dir, 0o777)
		},
		"symlink": func(dir string) error { return os.Symlink(private, dir) },
	} {
		tmp := t.TempDir()
		t.Setenv("TMPDIR", tmp)
		if err := plant(filepath.Join(tmp, fmt.Sprintf("svpn-%d", os.Getuid()))); err != nil {
			t.Fatal(err)
		}
		if p, err := InstancePath("/x.sock"); err == nil {
			t.Errorf("%s fallback directory: InstancePath = %s, want an error", name, p)
		}
	}
}

// TestClaimRefusesOtherUsersSocket: a socket another user (uid 65534)
// listens on at the channel's path gets no request and is not removed;
// Claim fails instead of reporting another instance.
func TestClaimRefusesOtherUsersSocket(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run the squatter as another user (uid 65534)")
	}
	const nobody = 65534
	base, err := os.MkdirTemp("", "svpn-tray-squat-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	os.Chmod(base, 0o755)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(base, "tray.test")
	if err := os.WriteFile(exe, b, 0o755); err != nil {
		t.Fatal(err)
	}
	shared := filepath.Join(base, "shared") // a /tmp-like directory anyone may write
	if err := os.Mkdir(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(shared, 0o1777)
	path := filepath.Join(shared, "svpn-ui.sock")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = []string{squatEnv + "=" + path, "PATH=/usr/bin:/bin"}
	cmd.Dir = base
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	select {
	case l := <-lines:
		if l != "listening" {
			t.Fatalf("squatter: %q", l)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the squatter did not start")
	}

	in, err := Claim(path, "show login")
	if in != nil {
		in.Close()
	}
	if err == nil || errors.Is(err, ErrRunning) {
		t.Errorf("Claim with another user's socket at the path: %v, want an error", err)
	}
	if err := Send(path, "show diagnostics"); err == nil {
		t.Error("Send delivered a request to another user's socket")
	}
	if _, err := os.Lstat(path); err != nil {
		t.Errorf("the other user's socket was removed: %v", err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	var got []string
	for l := range lines {
		got = append(got, l)
	}
	if len(got) != 0 {
		t.Errorf("the squatter received: %s", strings.Join(got, "; "))
	}
}
