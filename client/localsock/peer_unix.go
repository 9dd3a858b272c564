//go:build linux || darwin

package localsock

import (
	"fmt"
	"net"
	"strconv"
)

// peerUID runs getsockopt, which reads the peer's uid from the kernel, on
// the socket of a unix connection. The kernel captured the credentials
// when the peer called connect(2): the peer cannot forge them, and passing
// the socket to another process does not change them.
func peerUID(c net.Conn, getsockopt func(fd int) (uint32, error)) (uid string, admin bool, err error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return "", false, fmt.Errorf("%T is not a unix socket connection", c)
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return "", false, err
	}
	var (
		id     uint32
		optErr error
	)
	if err := raw.Control(func(fd uintptr) { id, optErr = getsockopt(int(fd)) }); err != nil {
		return "", false, err
	}
	if optErr != nil {
		return "", false, optErr
	}
	return strconv.FormatUint(uint64(id), 10), id == 0, nil
}
