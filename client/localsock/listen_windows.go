package localsock

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/Microsoft/go-winio"
)

// ErrAlreadyRunning is returned by Listen when another daemon answers on
// the address.
var ErrAlreadyRunning = errors.New("another svpnd is running")

// probeTimeout bounds the dial that checks whether a daemon already serves
// the pipe.
const probeTimeout = time.Second

// defaultAddress is the daemon's named pipe. Only a process in the
// Administrators group (svpnd runs as SYSTEM) can create a pipe under
// \\.\pipe\ProtectedPrefix\Administrators\: an unprivileged program cannot
// create it first, nor add a server instance of its own, and so cannot
// pose as svpnd to front ends and collect passwords and signed login
// challenges. Under a plain \\.\pipe\ name anyone could.
const defaultAddress = `\\.\pipe\ProtectedPrefix\Administrators\svpn\svpnd`

// pipeSDDL is the pipe's security descriptor: full control for SYSTEM and
// Administrators, read and write for interactive users (console and
// Remote Desktop sessions), nothing for services, network logons or
// anonymous. Which of the connected users may do what is decided per
// request from PeerIdentity. GW also carries FILE_CREATE_PIPE_INSTANCE;
// it is the ProtectedPrefix, not this ACL, that keeps users from adding
// instances.
const pipeSDDL = "D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GRGW;;;IU)"

// pipeBufferSize sizes the pipe's buffers for typical local API messages.
const pipeBufferSize = 64 << 10

// DefaultAddress is the named pipe svpnd listens on and front ends dial.
func DefaultAddress() string { return defaultAddress }

// Listen creates the daemon's named pipe at addr (see defaultAddress for
// why it lives under ProtectedPrefix). Creating the pipe fails when it
// already exists; if a daemon then answers on it Listen returns
// ErrAlreadyRunning, otherwise the underlying error (typically access
// denied when not running as an administrator).
func Listen(addr string) (net.Listener, error) {
	ln, err := winio.ListenPipe(addr, &winio.PipeConfig{
		SecurityDescriptor: pipeSDDL,
		InputBufferSize:    pipeBufferSize,
		OutputBufferSize:   pipeBufferSize,
	})
	if err == nil {
		if underWine() {
			if err := settleWineFirstInstance(addr); err != nil {
				ln.Close()
				return nil, err
			}
		}
		return ln, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	if c, derr := winio.DialPipeContext(ctx, addr); derr == nil {
		c.Close()
		return nil, fmt.Errorf("localsock: %s: %w", addr, ErrAlreadyRunning)
	}
	return nil, fmt.Errorf("localsock: listen on %s: %w", addr, err)
}

// Dial connects a front end to the daemon's pipe at addr, waiting while
// all pipe instances are busy until ctx ends. A daemon that is not running
// shows as an error matching fs.ErrNotExist.
func Dial(ctx context.Context, addr string) (net.Conn, error) {
	c, err := winio.DialPipeContext(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("localsock: dial %s: %w", addr, err)
	}
	return c, nil
}
