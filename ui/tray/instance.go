package tray

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The single-instance channel: the first svpn of a user (per svpnd socket)
// listens on a unix socket in a per-user directory; a second one sends it
// what to show ("show login") and exits. Go supports unix sockets on
// Windows 10 and later too.

// ErrRunning: another instance has the channel; the request was passed on.
var ErrRunning = errors.New("svpn is already running")

// Instance is the claimed channel.
type Instance struct {
	ln   net.Listener
	path string
}

// InstancePath is the channel's path for a user and a daemon socket.
func InstancePath(daemonSocket string) string {
	sum := sha256.Sum256([]byte(daemonSocket))
	return filepath.Join(runtimeDir(), fmt.Sprintf("svpn-ui-%x.sock", sum[:6]))
}

func runtimeDir() string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return d
	}
	d := filepath.Join(os.TempDir(), fmt.Sprintf("svpn-%d", os.Getuid()))
	os.MkdirAll(d, 0o700)
	return d
}

// Claim makes this process the instance, or hands request to the running
// one and returns ErrRunning.
func Claim(path, request string) (*Instance, error) {
	for attempt := 0; attempt < 3; attempt++ {
		ln, err := net.Listen("unix", path)
		if err == nil {
			os.Chmod(path, 0o600)
			return &Instance{ln: ln, path: path}, nil
		}
		if err := Send(path, request); err == nil {
			return nil, ErrRunning
		}
		// A stale socket of an instance that crashed.
		os.Remove(path)
	}
	return nil, fmt.Errorf("claiming %s: cannot listen and nobody answers", path)
}

// Send delivers a request to the running instance and waits for its "ok".
func Send(path, request string) error {
	c, err := net.DialTimeout("unix", path, 2*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := fmt.Fprintln(c, request); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "ok" {
		return fmt.Errorf("instance answered %q", line)
	}
	return nil
}

// Serve answers requests until ctx ends, calling handle with each.
func (in *Instance) Serve(ctx context.Context, handle func(request string)) {
	go func() {
		<-ctx.Done()
		in.ln.Close()
	}()
	for {
		c, err := in.ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			line, err := bufio.NewReader(c).ReadString('\n')
			if err != nil {
				return
			}
			handle(strings.TrimSpace(line))
			fmt.Fprintln(c, "ok")
		}()
	}
}

// Close releases the channel.
func (in *Instance) Close() {
	in.ln.Close()
	os.Remove(in.path)
}
