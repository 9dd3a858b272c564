//go:build !windows

package tray

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"

	"github.com/opensvpn/svpn/client/localsock"
)

// samePeer checks that the process on the other end of c runs as this
// user (SO_PEERCRED / LOCAL_PEERCRED, which the peer cannot forge).
func samePeer(c net.Conn) error {
	id, err := localsock.PeerIdentity(c)
	if err != nil {
		return fmt.Errorf("single instance: %w", err)
	}
	if id.UID != strconv.Itoa(os.Getuid()) {
		return fmt.Errorf("%w (uid %s)", errNotOurs, id.UID)
	}
	return nil
}

// privateDir checks that dir is a directory (not a symlink to one) owned by
// this user that no one else may enter or write.
func privateDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("single-instance directory: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case !fi.IsDir():
		return fmt.Errorf("single-instance directory %s is not a directory (%v)", dir, fi.Mode().Type())
	case !ok || int(st.Uid) != os.Getuid():
		return fmt.Errorf("single-instance directory %s is not owned by this user", dir)
	case fi.Mode().Perm()&0o077 != 0:
		return fmt.Errorf("single-instance directory %s is open to other users (%v)", dir, fi.Mode().Perm())
	}
	return nil
}

// ownSocket checks that the file at path, if any, is this user's.
func ownSocket(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil // gone: nothing to check
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); !ok || int(st.Uid) != os.Getuid() {
		return fmt.Errorf("%w: %s", errNotOurs, path)
	}
	return nil
}
