//go:build !windows

package localsock

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ErrAlreadyRunning is returned by Listen when another daemon answers on
// the address.
var ErrAlreadyRunning = errors.New("another svpnd is running")

// probeTimeout bounds the dial that tells a live daemon from a stale
// socket file: a live daemon's kernel accepts into the backlog at once.
const probeTimeout = time.Second

// DefaultAddress is the socket svpnd listens on and front ends dial.
func DefaultAddress() string { return defaultAddress }

// Listen creates the daemon's unix socket at path addr.
//
// A socket file left by a daemon that crashed is removed, but only after a
// dial proves nothing answers on it; if something does, Listen fails with
// ErrAlreadyRunning rather than stealing the address from a running daemon
// (whose clients would silently lose it). Anything at addr that is not a
// socket is left alone and is an error. Probe, removal and bind happen
// under an exclusive lock on addr+".lock", so two daemons starting at once
// cannot both decide the socket is stale and unlink each other's.
//
// The parent directory is created 0755 if missing. The socket is mode 0666:
// every local user may connect, because authorization happens per request
// from the peer's identity (PeerIdentity), not from file permissions.
func Listen(addr string) (net.Listener, error) {
	dir := filepath.Dir(addr)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("localsock: %w", err)
		}
		// MkdirAll is subject to the umask; users must be able to reach
		// the socket whatever umask the service manager set.
		if err := os.Chmod(dir, 0o755); err != nil {
			return nil, fmt.Errorf("localsock: %w", err)
		}
	}

	unlock, err := lockFile(addr + ".lock")
	if err != nil {
		return nil, err
	}
	defer unlock()

	if err := removeStale(addr); err != nil {
		return nil, err
	}
	ln, err := net.Listen("unix", addr)
	if err != nil {
		return nil, fmt.Errorf("localsock: listen on %s: %w", addr, err)
	}
	// Between bind and chmod the socket has the umask's mode, which is
	// stricter, never looser, than 0666.
	if err := os.Chmod(addr, 0o666); err != nil {
		ln.Close()
		return nil, fmt.Errorf("localsock: %w", err)
	}
	return ln, nil
}

// lockFile takes an exclusive flock on path and returns its release. The
// lock dies with the process, so a crash never leaves it held.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("localsock: %w", err)
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("localsock: lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil // closing the file releases the lock
}

// removeStale removes the socket file at addr if no daemon answers on it.
func removeStale(addr string) error {
	fi, err := os.Lstat(addr)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("localsock: %w", err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("localsock: %s exists and is not a socket; not removing it", addr)
	}
	d := net.Dialer{Timeout: probeTimeout}
	c, err := d.Dial("unix", addr)
	switch {
	case err == nil:
		c.Close()
		return fmt.Errorf("localsock: %s: %w", addr, ErrAlreadyRunning)
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, fs.ErrNotExist):
		// Nobody listens: the file is what a dead daemon left behind.
	default:
		// A timeout or a full backlog means someone is there but busy.
		return fmt.Errorf("localsock: probe %s: %w", addr, err)
	}
	if err := os.Remove(addr); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("localsock: remove stale socket: %w", err)
	}
	return nil
}

// Dial connects a front end to the daemon's socket at addr. A daemon that
// is not running shows as an error matching fs.ErrNotExist (no socket) or
// syscall.ECONNREFUSED (stale socket).
func Dial(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", addr)
	if err != nil {
		return nil, fmt.Errorf("localsock: dial %s: %w", addr, err)
	}
	return c, nil
}
