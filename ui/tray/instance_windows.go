package tray

import (
	"fmt"
	"net"
	"os"
)

// samePeer: Windows gives no peer credentials on AF_UNIX sockets; the
// channel relies on the per-user directory's ACL (%LOCALAPPDATA%, %TEMP%).
func samePeer(net.Conn) error { return nil }

// privateDir: on Windows the per-user directories carry the user's ACL;
// only what is not a plain directory (a junction) is refused here.
func privateDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("single-instance directory: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("single-instance directory %s is not a directory", dir)
	}
	return nil
}

func ownSocket(string) error { return nil }
