package proxy

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"os"
	"strings"
	"time"

	"github.com/opensvpn/svpn/api"
)

// serveHTTP serves one request of an HTTP proxy client: CONNECT becomes a
// relay, an absolute-URI request (GET http://host/path) is forwarded.
//
// A forwarded request gets a connection of its own to the server and the
// client's connection closes after the response ("Connection: close"):
// browsers open another at once, on loopback that costs nothing, and no
// connection pool outlives Serve.
func (s *server) serveHTTP(ctx context.Context, c net.Conn, br *bufio.Reader) {
	req, err := http.ReadRequest(br)
	if err != nil {
		if !errors.Is(err, io.EOF) && !errors.Is(err, os.ErrDeadlineExceeded) {
			httpError(c, http.StatusBadRequest, "malformed HTTP request")
		}
		s.log.Debug("HTTP proxy: bad request", "client", c.RemoteAddr().String(), "err", err)
		return
	}
	if !s.authorized(req) {
		req.Body.Close()
		body := "proxy authentication required: use the proxy address svpn shows to the session's user\n"
		fmt.Fprintf(c, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"SVPN\"\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
			len(body), body)
		s.log.Debug("HTTP proxy: no or wrong credentials", "client", c.RemoteAddr().String())
		return
	}
	if req.Method == http.MethodConnect {
		s.connect(ctx, c, br, req)
		return
	}
	s.forward(ctx, c, req)
}

// connect answers CONNECT host:port: 200 once the connection is made, then
// bytes pass unchanged both ways (TLS to the server, typically).
func (s *server) connect(ctx context.Context, c net.Conn, br *bufio.Reader, req *http.Request) {
	target := req.Host
	if _, port, err := net.SplitHostPort(target); err != nil || port == "" {
		httpError(c, http.StatusBadRequest, "CONNECT needs host:port")
		return
	}
	up, err := dialUp(ctx, s.dial, target)
	if err != nil {
		s.log.Info("HTTP CONNECT failed", "target", target, "err", err)
		httpDialError(c, target, err)
		return
	}
	if _, err := io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		up.Close()
		return
	}
	s.log.Debug("HTTP CONNECT", "target", target)
	relay(ctx, c, br, up)
}

// forward passes an absolute-URI request to its server and the response
// back, without the hop-by-hop headers of either.
func (s *server) forward(ctx context.Context, c net.Conn, req *http.Request) {
	defer req.Body.Close()
	if !req.URL.IsAbs() || req.URL.Host == "" {
		httpError(c, http.StatusBadRequest, "this is a proxy: send absolute-URI requests (GET http://host/path) or CONNECT")
		return
	}
	if req.URL.Scheme != "http" {
		httpError(c, http.StatusBadRequest, "only http:// URLs are forwarded; https:// goes through CONNECT")
		return
	}
	target := req.URL.Host
	if _, _, err := net.SplitHostPort(target); err != nil {
		target = net.JoinHostPort(strings.Trim(target, "[]"), "80")
	}
	removeHopHeaders(req.Header)
	req.RequestURI = ""
	req.Close = true // one request per server connection: see serveHTTP
	if req.Header.Get("Expect") == "100-continue" {
		// Answer for the server, so the client sends its body without
		// waiting; the server then just receives it.
		req.Header.Del("Expect")
		io.WriteString(c, "HTTP/1.1 100 Continue\r\n\r\n")
	}
	up, err := dialUp(ctx, s.dial, target)
	if err != nil {
		s.log.Info("HTTP proxy: connect failed", "target", target, "err", err)
		httpDialError(c, target, err)
		return
	}
	defer up.Close()
	// The body may take long to upload and the server may answer before
	// it has all of it (413, 401): send it while waiting for the answer.
	c.SetDeadline(time.Time{})
	sent := make(chan error, 1)
	go func() { sent <- req.Write(up) }()
	defer func() {
		up.Close() // unblocks the writer if the server stopped reading
		<-sent
	}()

	up.SetReadDeadline(time.Now().Add(responseTimeout))
	resp, err := http.ReadResponse(bufio.NewReader(up), req)
	if err != nil {
		s.log.Info("HTTP proxy: no response", "target", target, "err", err)
		httpError(c, http.StatusBadGateway, "no valid response from "+target)
		return
	}
	defer resp.Body.Close()
	up.SetReadDeadline(time.Time{}) // the body may be a long download
	removeHopHeaders(resp.Header)
	resp.Close = true
	if err := resp.Write(c); err != nil {
		s.log.Debug("HTTP proxy: writing response", "target", target, "err", err)
	}
}

// hopHeaders are meant for one connection, not for the other side of a
// proxy (RFC 9110, 7.6.1).
var hopHeaders = []string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

func removeHopHeaders(h http.Header) {
	for _, v := range h.Values("Connection") {
		for name := range strings.SplitSeq(v, ",") {
			if name = textproto.TrimString(name); name != "" {
				h.Del(name)
			}
		}
	}
	for _, name := range hopHeaders {
		h.Del(name)
	}
}

// httpError sends a complete plain-text error response.
func httpError(w io.Writer, code int, msg string) {
	body := msg + "\n"
	fmt.Fprintf(w, "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		code, http.StatusText(code), len(body), body)
}

// httpDialError reports a failed connection: 504 for a timeout, 403 for an
// address the tunnel does not carry, 502 for the rest.
func httpDialError(w io.Writer, target string, err error) {
	var netErr net.Error
	switch {
	case api.CodeOf(err) == api.CodeTunnelNotRouted:
		httpError(w, http.StatusForbidden, target+" is not reached through the tunnel")
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		httpError(w, http.StatusGatewayTimeout, "connecting to "+target+" timed out")
	default:
		httpError(w, http.StatusBadGateway, "cannot connect to "+target)
	}
}

// authorized checks the request's Proxy-Authorization (Basic).
func (s *server) authorized(req *http.Request) bool {
	v := req.Header.Get("Proxy-Authorization")
	scheme, cred, ok := strings.Cut(v, " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return false
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
	if err != nil {
		return false
	}
	user, pass, ok := strings.Cut(string(b), ":")
	return ok && s.creds.match(user, pass)
}
