// Package proxy is how applications reach a userspace tunnel: a loopback
// proxy that speaks SOCKS5 and HTTP on one port, and a plain TCP forward
// from a loopback port to one address inside the tunnel (for the portal,
// so the browser can open http://127.0.0.1:port/ without proxy settings).
//
// Both take the dialer as a function, so they know nothing of WireGuard:
// svpnd passes (*tunnel.Userspace).DialContext, tests pass net.Dialer's.
//
// Whoever can connect to the listener can use the tunnel; svpnd listens on
// loopback only. There is no authentication, as with every local proxy a
// browser is pointed at.
package proxy

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"
)

// DialFunc connects to addr ("host:port") over network ("tcp"), as
// net.Dialer.DialContext does.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Bounds on what a client can make the proxy wait for or hold.
const (
	// handshakeTimeout bounds reading a client's request (SOCKS
	// negotiation, HTTP request header): a client that connects and says
	// nothing is dropped.
	handshakeTimeout = 10 * time.Second
	// dialTimeout bounds connecting through the tunnel, DNS included.
	dialTimeout = 15 * time.Second
	// responseTimeout bounds waiting for an HTTP server's response header
	// to a forwarded request.
	responseTimeout = 60 * time.Second
	// maxConns bounds the connections served at once; more are refused
	// (closed) until some end.
	maxConns = 512
)

// Serve accepts connections on ln until ctx ends and serves each as SOCKS5
// (RFC 1928, no authentication, CONNECT) or as an HTTP proxy (absolute-URI
// requests and CONNECT), told apart by the first byte: 5 is SOCKS version 5,
// anything else is the start of an HTTP method. Every upstream connection
// is made with dial.
//
// Serve closes ln and returns when ctx ends (nil) or Accept fails for good
// (the error), and not before every connection it served is closed and its
// goroutines have returned.
func Serve(ctx context.Context, ln net.Listener, dial DialFunc, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &server{dial: dial, log: logger.With("component", "proxy", "listen", ln.Addr().String())}
	return serve(ctx, ln, s.handle, s.log)
}

// Forward accepts connections on ln until ctx ends and connects each to
// target ("host:port") with dial, passing bytes both ways unchanged. It
// returns as Serve does.
func Forward(ctx context.Context, ln net.Listener, dial DialFunc, target string) error {
	log := slog.New(slog.DiscardHandler)
	return serve(ctx, ln, func(ctx context.Context, c net.Conn) {
		up, err := dialUp(ctx, dial, target)
		if err != nil {
			return
		}
		relay(ctx, c, nil, up)
	}, log)
}

// serve runs handle for every accepted connection, in a goroutine of its
// own, until ctx ends. A connection is closed when handle returns or ctx
// ends, whichever is first, so a handler blocked in I/O returns too.
func serve(ctx context.Context, ln net.Listener, handle func(context.Context, net.Conn), log *slog.Logger) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		ln.Close()
		wg.Wait()
	}()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()

	slots := make(chan struct{}, maxConns)
	var backoff time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			// Out of file descriptors and the like: wait and retry, as
			// net/http does.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			log.Warn("accept failed; retrying", "err", err, "in", backoff)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(backoff):
			}
			continue
		}
		backoff = 0
		select {
		case slots <- struct{}{}:
		default:
			log.Warn("too many connections; refusing one", "max", maxConns, "client", c.RemoteAddr().String())
			c.Close()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			stopConn := context.AfterFunc(ctx, func() { c.Close() })
			defer stopConn()
			defer c.Close()
			handle(ctx, c)
		}()
	}
}

// server is what Serve shares between connections.
type server struct {
	dial DialFunc
	log  *slog.Logger
}

// handle tells SOCKS5 from HTTP by the first byte and serves the
// connection.
func (s *server) handle(ctx context.Context, c net.Conn) {
	c.SetDeadline(time.Now().Add(handshakeTimeout))
	br := bufio.NewReader(c)
	first, err := br.Peek(1)
	if err != nil {
		return
	}
	if first[0] == socksVersion {
		s.serveSOCKS(ctx, c, br)
		return
	}
	s.serveHTTP(ctx, c, br)
}

// dialUp connects to addr within dialTimeout.
func dialUp(ctx context.Context, dial DialFunc, addr string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	return dial(ctx, "tcp", addr)
}
