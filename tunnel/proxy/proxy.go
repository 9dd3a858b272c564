// Package proxy is how applications reach a userspace tunnel: a loopback
// proxy that speaks SOCKS5 and HTTP on one port, and a loopback HTTP
// forward to the portal inside the tunnel (so the browser can open
// http://127.0.0.1:port/ without proxy settings).
//
// Both take the dialer as a function, so they know nothing of WireGuard:
// svpnd passes (*tunnel.Userspace).DialContext, tests pass net.Dialer's.
//
// Loopback is shared by every local user and reachable from web pages
// (DNS rebinding), so neither is open: the proxy wants per-session
// credentials (SOCKS5 username/password, RFC 1929; HTTP Proxy-Authorization
// Basic), and the portal forward a per-session token and its own loopback
// Host (see ServePortal). svpnd gives both to the session's owner only.
package proxy

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
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

// Credentials are what a proxy client must present.
type Credentials struct {
	Username string
	Password string
}

// NewCredentials returns fresh random credentials (username "svpn", a
// 128-bit password), for one session.
func NewCredentials() Credentials {
	return Credentials{Username: "svpn", Password: NewToken()}
}

// NewToken returns a random 128-bit token, URL- and header-safe.
func NewToken() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// match reports whether user and password are c's, in constant time.
func (c Credentials) match(user, password string) bool {
	u := subtle.ConstantTimeCompare([]byte(user), []byte(c.Username))
	p := subtle.ConstantTimeCompare([]byte(password), []byte(c.Password))
	return u&p == 1
}

// Serve accepts connections on ln until ctx ends and serves each as SOCKS5
// (RFC 1928 with username/password authentication, RFC 1929; CONNECT) or
// as an HTTP proxy (absolute-URI requests and CONNECT, with
// Proxy-Authorization Basic), told apart by the first byte: 5 is SOCKS
// version 5, anything else is the start of an HTTP method. A client without
// creds is refused. Every upstream connection is made with dial.
//
// Serve closes ln and returns when ctx ends (nil) or Accept fails for good
// (the error), and not before every connection it served is closed and its
// goroutines have returned.
func Serve(ctx context.Context, ln net.Listener, dial DialFunc, logger *slog.Logger, creds Credentials) error {
	if creds.Username == "" || creds.Password == "" {
		ln.Close()
		return errors.New("proxy: no credentials: a loopback proxy must not be open to every local user")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &server{dial: dial, creds: creds, log: logger.With("component", "proxy", "listen", ln.Addr().String())}
	return serve(ctx, ln, s.handle, s.log)
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
	dial  DialFunc
	creds Credentials
	log   *slog.Logger
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
