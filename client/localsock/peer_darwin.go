package localsock

import (
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// defaultAddress is where svpnd listens on macOS (/var/run is root-owned
// and cleared at boot).
const defaultAddress = "/var/run/svpnd.sock"

// peerCred reads LOCAL_PEERCRED: the effective uid at connect time.
func peerCred(c net.Conn) (uid string, admin bool, err error) {
	return peerUID(c, func(fd int) (uint32, error) {
		cred, err := unix.GetsockoptXucred(fd, unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
		if err != nil {
			return 0, fmt.Errorf("LOCAL_PEERCRED: %w", err)
		}
		return cred.Uid, nil
	})
}
