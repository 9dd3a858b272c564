package firewall

import (
	"net"
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestMarkControl(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("setting a socket mark needs CAP_NET_ADMIN (CI runs as root)")
	}
	c, err := (&net.Dialer{Control: MarkControl(0x5356504e)}).Dial("udp", "127.0.0.1:9")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	raw, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var mark int
	var gerr error
	raw.Control(func(fd uintptr) { mark, gerr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_MARK) })
	if gerr != nil || mark != 0x5356504e {
		t.Fatalf("mark %#x, %v", mark, gerr)
	}
}
