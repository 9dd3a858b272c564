// Package gatewayapi is the client of the gateway API v1 (api package): the
// calls svpnd makes to log in, keep the session and log out.
package gatewayapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/opensvpn/svpn/api"
)

// Error is a refusal from the gateway: its code and the details that come
// with it (violations, change token, install URL …).
type Error struct {
	Status   int
	Response api.ErrorResponse
}

func (e *Error) Error() string {
	return fmt.Sprintf("gateway refused (%d): %s: %s", e.Status, e.Response.Code, e.Response.Message)
}

// ErrorCode returns the refusal's code: *Error is an api.CodedError, so
// api.CodeOf finds it.
func (e *Error) ErrorCode() api.Code { return e.Response.Code }

// RefusalResponse returns the refusal whole, for api.RefusalOf.
func (e *Error) RefusalResponse() *api.ErrorResponse { return &e.Response }

// Is matches *api.Error sentinels by code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*api.Error)
	return ok && t.Code == e.Response.Code
}

// Client codes for failures that never reached a gateway answer. They are
// declared in package api, with the rest of the catalogue; these are aliases.
const (
	CodeUnreachable    = api.CodeGatewayUnreachable // DNS, refused, timeout
	CodeTLS            = api.CodeGatewayTLS         // certificate name, CA or pin mismatch
	CodeBadResponse    = api.CodeGatewayBadResponse // not the API: garbage, wrong type
	CodeVersion        = api.CodeGatewayVersion     // an API version this client does not speak
	CodeSessionMissing = api.CodeSessionMissing
)

// Client talks to one gateway.
type Client struct {
	base    *baseURL // the node in use; failover re-points it
	http    *http.Client
	tls     *tls.Config
	dial    func(ctx context.Context, network, addr string) (net.Conn, error)
	timeout time.Duration
}

// Options configure a Client.
type Options struct {
	// RootCAs verify the gateway's TLS certificate; nil means the system pool.
	RootCAs *x509.CertPool
	// Timeout bounds each call (default 15 s): a slow gateway is an error,
	// never a hang.
	Timeout time.Duration
	// Pin, when set, is the base64 SHA-256 of a public key (SPKI) that must
	// appear in the gateway's verified chain: the profile's ca_pin.
	Pin string
	// DialContext, when set, replaces the dialer (tests, userspace stacks).
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
}

// New returns a client for the gateway at baseURL (https://host:port).
func New(baseURL string, o Options) (*Client, error) {
	if !strings.HasPrefix(baseURL, "https://") {
		return nil, &api.Error{Code: api.CodeBadRequest, Message: "gateway URL must be https://"}
	}
	if o.Timeout == 0 {
		o.Timeout = 15 * time.Second
	}
	// Sessions are resumed: every login opens a TLS connection of its own
	// (its exporter is what the signature binds), and a resumed handshake
	// skips the certificate chain. The exporter stays unique per connection
	// (TLS 1.3, or TLS 1.2 with extended master secret, which Go requires).
	tlsConf := &tls.Config{RootCAs: o.RootCAs, MinVersion: tls.VersionTLS12, CipherSuites: aeadSuites,
		ClientSessionCache: tls.NewLRUClientSessionCache(16)}
	if o.Pin != "" {
		pin := o.Pin
		tlsConf.VerifyConnection = func(cs tls.ConnectionState) error {
			for _, chain := range cs.VerifiedChains {
				for _, c := range chain {
					sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
					if base64.StdEncoding.EncodeToString(sum[:]) == pin {
						return nil
					}
				}
			}
			return &api.Error{Code: CodeTLS, Message: "the gateway's certificate does not match the profile's pin"}
		}
	}
	tr := &http.Transport{
		TLSClientConfig:     tlsConf,
		TLSHandshakeTimeout: o.Timeout,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
		Proxy:               nil, // the gateway is reached directly, never through a proxy
	}
	if o.DialContext != nil {
		tr.DialContext = o.DialContext
	} else {
		tr.DialContext = (&net.Dialer{Timeout: o.Timeout, KeepAlive: 30 * time.Second}).DialContext
	}
	return &Client{base: newBaseURL(strings.TrimRight(baseURL, "/")), http: &http.Client{Transport: tr, Timeout: o.Timeout},
		tls: tlsConf, dial: tr.DialContext, timeout: o.Timeout}, nil
}

// aeadSuites are the TLS 1.2 suites a client offers: forward secret and
// AEAD only (TLS 1.3 suites are always AEAD and not configurable).
var aeadSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// CloseIdleConnections releases pooled connections.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }

// Info fetches the gateway's description and checks its API version.
func (c *Client) Info(ctx context.Context) (*api.Info, error) {
	var info api.Info
	if err := c.do(ctx, http.MethodGet, api.PathInfo, "", nil, &info); err != nil {
		return nil, err
	}
	if info.APIVersion != api.APIVersion {
		return nil, &api.Error{Code: CodeVersion, Message: fmt.Sprintf("gateway speaks API version %d, this client %d", info.APIVersion, api.APIVersion)}
	}
	return &info, nil
}

// ChangePassword changes the account password inside the session of
// token.
func (c *Client) ChangePassword(ctx context.Context, token string, req *api.PasswordChangeRequest) error {
	return c.do(ctx, http.MethodPost, api.PathPassword, token, req, nil)
}

// Heartbeat keeps the session alive.
func (c *Client) Heartbeat(ctx context.Context, token string) (*api.SessionStatus, error) {
	var st api.SessionStatus
	if err := c.do(ctx, http.MethodPost, api.PathHeartbeat, token, struct{}{}, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// Logout ends the session.
func (c *Client) Logout(ctx context.Context, token string) error {
	return c.do(ctx, http.MethodPost, api.PathLogout, token, struct{}{}, nil)
}

// maxResponse bounds what is read from the gateway.
const maxResponse = 1 << 20

func (c *Client) do(ctx context.Context, method, path, token string, in, out any) error {
	return c.doOn(ctx, c.http, method, path, token, in, out)
}

func (c *Client) doOn(ctx context.Context, hc *http.Client, method, path, token string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base()+path, body)
	if err != nil {
		return &api.Error{Code: api.CodeBadRequest, Message: "bad gateway URL", Err: err}
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set(api.APIVersionHeader, strconv.Itoa(api.APIVersion))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return transportError(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return &api.Error{Code: CodeUnreachable, Message: "reading the gateway's answer", Err: err}
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		return &api.Error{Code: CodeBadResponse, Message: fmt.Sprintf("gateway answered %s with %q, not the SVPN API", resp.Status, resp.Header.Get("Content-Type"))}
	}
	if resp.StatusCode != http.StatusOK {
		var e api.ErrorResponse
		if err := json.Unmarshal(data, &e); err != nil || e.Code == "" {
			return &api.Error{Code: CodeBadResponse, Message: fmt.Sprintf("gateway answered %s without an error code", resp.Status)}
		}
		return &Error{Status: resp.StatusCode, Response: e}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &api.Error{Code: CodeBadResponse, Message: "gateway answer is not valid JSON", Err: err}
	}
	return nil
}

func transportError(err error) error {
	var (
		unknownAuthority x509.UnknownAuthorityError
		hostname         x509.HostnameError
		certInvalid      x509.CertificateInvalidError
		recordHeader     tls.RecordHeaderError
		verifyErr        *tls.CertificateVerificationError
	)
	var ae *api.Error
	if errors.As(err, &ae) && ae.Code == CodeTLS {
		return ae
	}
	switch {
	case errors.As(err, &unknownAuthority), errors.As(err, &hostname), errors.As(err, &certInvalid),
		errors.As(err, &verifyErr), errors.As(err, &recordHeader):
		return &api.Error{Code: CodeTLS, Message: "the gateway's TLS certificate is not trusted", Err: err}
	}
	return &api.Error{Code: CodeUnreachable, Message: "the gateway cannot be reached", Err: err}
}
