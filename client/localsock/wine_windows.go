package localsock

import (
	"context"
	"fmt"
	"sync"

	"github.com/Microsoft/go-winio"
	"golang.org/x/sys/windows"
)

// underWine reports whether this Windows program runs under Wine: Wine's
// ntdll.dll exports wine_get_version, Windows' does not.
var underWine = sync.OnceValue(func() bool {
	return windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
})

// settleWineFirstInstance works around Wine (checked with 8.0) for a
// go-winio listener just created at addr. go-winio's ListenPipe keeps a
// first pipe instance opened with SYNCHRONIZE access only, which Windows'
// named pipe file system leaves disconnected, so that clients only ever
// reach the instances Accept creates and connects. Wine's
// NtCreateNamedPipeFile puts that first instance in the listening state
// like any other: the first client's CreateFile connects to it, nobody
// ever reads it, and that client waits until its deadline while Accept's
// ConnectNamedPipe never completes. Connecting once here, and closing,
// uses that instance up (it stays in the closing state, which takes no
// further clients); every later client reaches an instance Accept
// connects. Only under Wine: on Windows this dial would only wait for an
// Accept that has not been called yet.
func settleWineFirstInstance(addr string) error {
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	c, err := winio.DialPipeContext(ctx, addr)
	if err != nil {
		return fmt.Errorf("localsock: Wine: connect to go-winio's first pipe instance of %s: %w", addr, err)
	}
	return c.Close()
}
