package localsock

import (
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// defaultAddress is where svpnd listens on Linux: /run is a tmpfs that
// systemd creates per boot, so a stale socket never survives a reboot.
const defaultAddress = "/run/svpn/svpnd.sock"

// peerCred reads SO_PEERCRED.
func peerCred(c net.Conn) (uid string, admin bool, err error) {
	return peerUID(c, func(fd int) (uint32, error) {
		cred, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED)
		if err != nil {
			return 0, fmt.Errorf("SO_PEERCRED: %w", err)
		}
		return cred.Uid, nil
	})
}
