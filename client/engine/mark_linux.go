package engine

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// markSocket gives the captive-portal probe's sockets ProbeMark. Setting
// a mark needs CAP_NET_ADMIN, which svpnd has when a kill switch can be in
// force at all; without it the probe goes unmarked.
func markSocket(_, _ string, c syscall.RawConn) error {
	c.Control(func(fd uintptr) {
		unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_MARK, ProbeMark)
	})
	return nil
}
