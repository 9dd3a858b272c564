//go:build !linux && !darwin && !windows

package localsock

import (
	"errors"
	"net"
)

// defaultAddress is where svpnd would listen on other Unix systems.
const defaultAddress = "/var/run/svpnd.sock"

// peerCred is not implemented on other systems: without the caller's
// identity no request can be authorized, so every one is refused.
func peerCred(net.Conn) (string, bool, error) {
	return "", false, errors.ErrUnsupported
}
