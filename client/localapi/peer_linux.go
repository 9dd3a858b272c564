package localapi

import (
	"fmt"
	"net"
	"strconv"

	"golang.org/x/sys/unix"
)

// defaultAddress is where svpnd listens on Linux: /run is a tmpfs that
// systemd creates per boot, so a stale socket never survives a reboot.
const defaultAddress = "/run/svpn/svpnd.sock"

// peerCred reads SO_PEERCRED: the credentials the kernel captured when the
// peer called connect(2). The peer cannot forge them, and passing the
// socket to another process does not change them.
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
		cred    *unix.Ucred
		credErr error
	)
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return "", false, err
	}
	if credErr != nil {
		return "", false, fmt.Errorf("SO_PEERCRED: %w", credErr)
	}
	return strconv.FormatUint(uint64(cred.Uid), 10), cred.Uid == 0, nil
}
