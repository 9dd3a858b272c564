package localapi

import (
	"fmt"
	"net"
	"strconv"

	"golang.org/x/sys/unix"
)

// defaultAddress is where svpnd listens on macOS (/var/run is root-owned
// and cleared at boot).
const defaultAddress = "/var/run/svpnd.sock"

// peerCred reads LOCAL_PEERCRED: the effective uid the kernel captured
// when the peer connected. The peer cannot forge it.
func peerCred(c net.Conn) (uid string, admin bool, err error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return "", false, fmt.Errorf("%T is not a unix socket connection", c)
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return "", false, err
	}
	var (
		cred    *unix.Xucred
		credErr error
	)
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptXucred(int(fd), unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
	}); err != nil {
		return "", false, err
	}
	if credErr != nil {
		return "", false, fmt.Errorf("LOCAL_PEERCRED: %w", credErr)
	}
	return strconv.FormatUint(uint64(cred.Uid), 10), cred.Uid == 0, nil
}
