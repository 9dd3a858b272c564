package tray

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The single-instance channel: the first svpn of a user (per svpnd socket)
// listens on a unix socket in a private per-user directory; a second one
// sends it what to show ("show login") and exits. Go supports unix sockets
// on Windows 10 and later too.
//
// Nobody else may sit on that channel: the directory must be the user's
// own (owner, no group or other access, not a symlink; see privateDir),
// and a socket found there is talked to, or accepted from, only when the
// process on the other end runs as the same user (peer credentials).

// ErrRunning: another instance has the channel; the request was passed on.
var ErrRunning = errors.New("svpn is already running")

// errNotOurs: the socket at the channel's path belongs to another user.
var errNotOurs = errors.New("the single-instance socket is another user's; not using it")

// Instance is the claimed channel.
type Instance struct {
	ln   net.Listener
	path string
}

// InstancePath is the channel's path for the current user and a daemon
// socket, in the user's private runtime directory: $XDG_RUNTIME_DIR when
// it is private to the user, else a 0700 directory svpn-<uid> in the
// temporary directory, created here and checked. It fails rather than
// use a directory another user could write to.
func InstancePath(daemonSocket string) (string, error) {
	sum := sha256.Sum256([]byte(daemonSocket))
	dir, err := runtimeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, fmt.Sprintf("svpn-ui-%x.sock", sum[:6])), nil
}

func runtimeDir() (string, error) {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" && filepath.IsAbs(d) && privateDir(d) == nil {
		return d, nil
	}
	d := filepath.Join(os.TempDir(), fmt.Sprintf("svpn-%d", os.Getuid()))
	if err := os.Mkdir(d, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("single-instance directory: %w", err)
	}
	if err := privateDir(d); err != nil {
		return "", err
	}
	return d, nil
}

// Claim makes this process the instance, or hands request to the running
// one and returns ErrRunning. A socket at path that another user's process
// answers on (or owns) is never talked to nor removed: Claim fails.
func Claim(path, request string) (*Instance, error) {
	for attempt := 0; attempt < 3; attempt++ {
		ln, err := net.Listen("unix", path)
		if err == nil {
			os.Chmod(path, 0o600)
			return &Instance{ln: ln, path: path}, nil
		}
		if err := ownSocket(path); err != nil {
			return nil, err
		}
		err = Send(path, request)
		if err == nil {
			return nil, ErrRunning
		}
		if errors.Is(err, errNotOurs) {
			return nil, err
		}
		// A stale socket of an instance that crashed.
		os.Remove(path)
	}
	return nil, fmt.Errorf("claiming %s: cannot listen and nobody answers", path)
}

// Send delivers a request to the running instance and waits for its "ok".
// It sends nothing to a process of another user.
func Send(path, request string) error {
	c, err := net.DialTimeout("unix", path, 2*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := samePeer(c); err != nil {
		return err
	}
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
			if samePeer(c) != nil {
				return // another user's process: not a request of ours
			}
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
