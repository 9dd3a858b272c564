package localsock

import (
	"fmt"
	"net"
	"os/user"
)

// Identity is the local account on the other end of a connection, as the
// operating system reports it: a unix socket carries the peer's
// credentials, a named pipe names its client process. Nothing the caller
// sends is trusted to say who it is.
type Identity struct {
	// UID is the account: the decimal uid on Unix, the SID string
	// (S-1-5-21-…) on Windows.
	UID string
	// Username is the account's name when it could be looked up (best
	// effort, for logs and diagnostics; decisions use UID and Admin).
	Username string
	// Admin is true for uid 0 on Unix; on Windows for SYSTEM and for a
	// token in which BUILTIN\Administrators is enabled, i.e. an elevated
	// administrator (a UAC-filtered administrator is not Admin).
	Admin bool
}

// PeerIdentity returns who is on the other end of c, a connection accepted
// from a Listen listener. It must be called when the connection is
// accepted, before serving requests: the kernel records the peer at
// connect time, and on Windows the answer goes through the client's
// process ID, which is only meaningful while that process lives.
func PeerIdentity(c net.Conn) (Identity, error) {
	uid, admin, err := peerCred(c)
	if err != nil {
		return Identity{}, fmt.Errorf("localsock: identify peer: %w", err)
	}
	id := Identity{UID: uid, Admin: admin}
	if u, err := user.LookupId(uid); err == nil {
		id.Username = u.Username
	}
	return id, nil
}
