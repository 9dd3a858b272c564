package localsock

import (
	"bufio"
	"io"
	"net"
	"sync"
	"testing"
)

// serve accepts on ln until it is closed and runs handle on each
// connection, then closes it. The test owns the goroutine: it ends when ln
// is closed at the test's end.
func serve(t *testing.T, ln net.Listener, handle func(net.Conn)) {
	t.Helper()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			handle(c)
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
}

// echo answers one line with "echo: " and the line.
func echo(c net.Conn) {
	line, _ := bufio.NewReader(c).ReadString('\n')
	io.WriteString(c, "echo: "+line)
}

// serveEcho echoes one line per connection on ln.
func serveEcho(t *testing.T, ln net.Listener) { serve(t, ln, echo) }
