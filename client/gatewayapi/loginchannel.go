package gatewayapi

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/url"
	"sync"

	"github.com/opensvpn/svpn/api"
)

// CodeLoginChannel: the connection a login was bound to closed before the
// login was sent; the login must start again. An alias of
// api.CodeLoginChannelClosed.
const CodeLoginChannel = api.CodeLoginChannelClosed

// LoginChannel is one TLS connection to the gateway that carries a login's
// challenge and the login itself. Its ChannelBinding (RFC 9266
// tls-exporter) is part of what the certificate key signs, so the signature
// is good only on this connection: a gateway that relays it elsewhere gets
// a refusal. Nothing is ever sent on another connection: if this one
// closes, the login starts again.
type LoginChannel struct {
	c       *Client
	http    *http.Client
	binding []byte
	resumed bool // the TLS session was resumed (for tests)

	mu   sync.Mutex
	conn *tls.Conn // handed to the transport once
}

// OpenLogin dials a dedicated TLS connection for one login.
func (c *Client) OpenLogin(ctx context.Context) (*LoginChannel, error) {
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
	conf := c.tls.Clone()
	conf.ServerName = u.Hostname()
	conf.NextProtos = []string{"http/1.1"}
	conn := tls.Client(raw, conf)
	if err := conn.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, transportError(err)
	}
	cs := conn.ConnectionState()
	binding, err := cs.ExportKeyingMaterial(api.ChannelBindingLabel, nil, api.ChannelBindingLen)
	if err != nil {
		conn.Close()
		return nil, &api.Error{Code: CodeTLS, Message: "the gateway's TLS connection offers no channel binding (TLS 1.2 without extended master secret)", Err: err}
	}
	l := &LoginChannel{c: c, binding: binding, conn: conn, resumed: cs.DidResume}
	tr := &http.Transport{
		DialTLSContext: func(context.Context, string, string) (net.Conn, error) {
			l.mu.Lock()
			defer l.mu.Unlock()
			if l.conn == nil {
				return nil, errLoginChannelUsed
			}
			cn := l.conn
			l.conn = nil
			return cn, nil
		},
		MaxConnsPerHost:     1,
		MaxIdleConnsPerHost: 1,
		Proxy:               nil,
	}
	l.http = &http.Client{Transport: tr, Timeout: c.timeout}
	return l, nil
}

var errLoginChannelUsed = errors.New("the login's TLS connection was closed")

// ChannelBinding is the tls-exporter of the connection.
func (l *LoginChannel) ChannelBinding() []byte { return append([]byte(nil), l.binding...) }

// Challenge asks for a login challenge bound to user and WireGuard key.
func (l *LoginChannel) Challenge(ctx context.Context, userID, wgPublicKey string) (*api.ChallengeResponse, error) {
	var resp api.ChallengeResponse
	err := l.do(ctx, api.PathChallenge, api.ChallengeRequest{UserID: userID, WGPublicKey: wgPublicKey}, &resp)
	if err != nil {
		return nil, err
	}
	return &resp, nil
}

// Login sends the signed login on the same connection.
func (l *LoginChannel) Login(ctx context.Context, req *api.LoginRequest) (*api.LoginResponse, error) {
	var resp api.LoginResponse
	if err := l.do(ctx, api.PathLogin, req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

func (l *LoginChannel) do(ctx context.Context, path string, in, out any) error {
	return l.channelErr(l.c.doOn(ctx, l.http, http.MethodPost, path, "", in, out))
}

// channelErr names the failure of a closed login connection.
func (l *LoginChannel) channelErr(err error) error {
	if errors.Is(err, errLoginChannelUsed) {
		return &api.Error{Code: CodeLoginChannel, Message: "the connection to the gateway closed during the login; log in again", Err: err}
	}
	return err
}

// Close closes the connection.
func (l *LoginChannel) Close() {
	l.mu.Lock()
	if l.conn != nil {
		l.conn.Close()
		l.conn = nil
	}
	l.mu.Unlock()
	l.http.CloseIdleConnections()
}
