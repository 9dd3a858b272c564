package proxy

import (
	"bufio"
	"context"
	"io"
	"net"
	"time"
)

// relay passes bytes between client and up until both directions have
// ended, or ctx has. What the client sent past its request and is still in
// br (a TLS ClientHello right behind a CONNECT) goes first. A direction that
// ends cleanly is half-closed on the other side, so protocols that signal
// the end of a request with EOF keep working; one that fails closes both.
// relay closes up; the caller closes client.
func relay(ctx context.Context, client net.Conn, br *bufio.Reader, up net.Conn) {
	defer up.Close()
	stop := context.AfterFunc(ctx, func() {
		client.Close()
		up.Close()
	})
	defer stop()
	client.SetDeadline(time.Time{}) // the handshake's deadline no longer applies

	var fromClient io.Reader = client
	if br != nil {
		fromClient = br // reads what it buffered, then client
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		pass(up, fromClient)
	}()
	pass(client, up)
	<-done
}

// pass copies src to dst until EOF, then half-closes dst; on an error it
// closes dst, which also ends the copy in the other direction.
func pass(dst net.Conn, src io.Reader) {
	_, err := io.Copy(dst, src)
	if err == nil {
		if cw, ok := dst.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
			return
		}
	}
	dst.Close()
}
