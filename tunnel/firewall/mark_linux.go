package firewall

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// MarkControl is a net.Dialer Control that gives sockets the mark, which
// the kill switch's Plan lets reach DNS and HTTP (ProbeMark rules): svpnd's
// own captive-portal probe and the resolution of the gateway's name while
// the kill switch blocks everything else. Setting a mark needs
// CAP_NET_ADMIN, which only svpnd has; without it the socket goes
// unmarked. nil where the OS has no socket marks.
func MarkControl(mark uint32) func(network, address string, c syscall.RawConn) error {
	return func(_, _ string, c syscall.RawConn) error {
		c.Control(func(fd uintptr) {
			unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_MARK, int(mark))
		})
		return nil
	}
}
