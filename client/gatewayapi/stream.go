package gatewayapi

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/opensvpn/svpn/api"
)

// DialStream opens the tunnel stream: a TLS connection of its own to the
// gateway (verified as every call is), upgraded with the session token to
// carry WireGuard frames (package streambind). A refusal is an *Error with
// the gateway's code, so a stream refused because the session ended says
// so. The connection has TCP_NODELAY set: frames must not wait for more.
func (c *Client) DialStream(ctx context.Context, token string) (net.Conn, error) {
	u, err := url.Parse(c.Base())
	if err != nil {
		return nil, &api.Error{Code: api.CodeBadRequest, Message: "bad gateway URL", Err: err}
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "443")
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	raw, err := c.dial(ctx, "tcp", addr)
	if err != nil {
		return nil, transportError(err)
	}
	if tc, ok := raw.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	conf := c.tls.Clone()
	conf.ServerName = u.Hostname()
	conf.NextProtos = []string{"http/1.1"} // an upgrade is HTTP/1.1
	// Full-size records from the start: frames stream continuously, and
	// small records only cost more encryptions and headers.
	conf.DynamicRecordSizingDisabled = true
	conn := tls.Client(raw, conf)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if err := conn.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, transportError(err)
	}
	req := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: Upgrade\r\nUpgrade: %s\r\nAuthorization: Bearer %s\r\n%s: %d\r\n\r\n",
		api.PathTunnelStream, u.Host, api.StreamUpgrade, token, api.APIVersionHeader, api.APIVersion)
	if _, err := io.WriteString(conn, req); err != nil {
		conn.Close()
		return nil, transportError(err)
	}
	br := bufio.NewReaderSize(conn, 64<<10)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		conn.Close()
		return nil, transportError(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		defer conn.Close()
		data, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
		var e api.ErrorResponse
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || json.Unmarshal(data, &e) != nil || e.Code == "" {
			return nil, &api.Error{Code: CodeBadResponse, Message: fmt.Sprintf("gateway answered the stream request with %s, not the SVPN API", resp.Status)}
		}
		return nil, &Error{Status: resp.StatusCode, Response: e}
	}
	if !strings.EqualFold(resp.Header.Get("Upgrade"), api.StreamUpgrade) {
		conn.Close()
		return nil, &api.Error{Code: CodeBadResponse, Message: "gateway switched to " + strconv.Quote(resp.Header.Get("Upgrade")) + ", not the tunnel stream"}
	}
	if !stop() {
		conn.Close()
		return nil, transportError(ctx.Err())
	}
	if br.Buffered() == 0 {
		return conn, nil // the reader of frames buffers on its own
	}
	return &streamConn{Conn: conn, r: br}, nil
}

// streamConn reads through the reader that parsed the upgrade answer, which
// may already hold the first frames.
type streamConn struct {
	net.Conn
	r *bufio.Reader
}

func (s *streamConn) Read(p []byte) (int, error) { return s.r.Read(p) }

// NetConn is the TLS connection (for TCP options).
func (s *streamConn) NetConn() net.Conn { return s.Conn }
