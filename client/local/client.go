// Package local is the client of svpnd's local API (api.LocalPath…), what
// svpnctl and the desktop app talk to the daemon with. The server is
// client/localapi, inside svpnd; the socket both use is client/localsock.
//
// This package is linked into the front ends, so it imports only api and
// localsock: never the engine, the tunnel or the gateway (the
// dependency tests in cmd/… hold it to that).
package local

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/localsock"
)

// CodeDaemonUnavailable: svpnd is not running or its socket is unreachable.
const CodeDaemonUnavailable = api.CodeDaemonUnavailable

// Refusal is svpnd's whole answer when it refuses a request: the
// api.ErrorResponse with what comes with the code (password violations,
// remaining attempts, install URL …), relayed from the gateway when the
// gateway refused. A Client's error for a refusal is an *api.Error with the
// response's code and message whose Err is the *Refusal: errors.As, or
// api.RefusalOf, reaches it.
type Refusal struct {
	Status   int // HTTP status svpnd answered with
	Response api.ErrorResponse
}

func (r *Refusal) Error() string {
	return fmt.Sprintf("svpnd answered %d %s", r.Status, http.StatusText(r.Status))
}

// RefusalResponse returns the refusal as svpnd sent it, for api.RefusalOf.
func (r *Refusal) RefusalResponse() *api.ErrorResponse { return &r.Response }

// ErrorCode makes a Refusal an api.CodedError.
func (r *Refusal) ErrorCode() api.Code { return r.Response.Code }

// refused is the error for svpnd's refusal r.
func refused(r *Refusal) error {
	return &api.Error{Code: r.Response.Code, Message: r.Response.Message, Err: r}
}

// Client talks to svpnd over its socket.
type Client struct {
	addr string
	http *http.Client
}

// NewClient returns a client for the daemon at addr (socket path or pipe;
// localsock.DefaultAddress() is where svpnd listens by default).
func NewClient(addr string) *Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) { return localsock.Dial(ctx, addr) },
	}
	return &Client{addr: addr, http: &http.Client{Transport: tr}}
}

// Close releases idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://svpnd"+path, body)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return &api.Error{Code: CodeDaemonUnavailable, Message: fmt.Sprintf("svpnd is not answering on %s", c.addr), Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e api.ErrorResponse
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if json.Unmarshal(b, &e) != nil || e.Code == "" {
			return &api.Error{Code: api.CodeInternal, Message: fmt.Sprintf("svpnd answered %s", resp.Status)}
		}
		return refused(&Refusal{Status: resp.StatusCode, Response: e})
	}
	if out == nil {
		return nil
	}
	if w, ok := out.(io.Writer); ok {
		_, err := io.Copy(w, resp.Body)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// Status returns the daemon's status.
func (c *Client) Status(ctx context.Context) (api.Status, error) {
	var st api.Status
	err := c.do(ctx, http.MethodGet, api.LocalPathStatus, nil, &st)
	return st, err
}

// LoginBegin starts a login.
func (c *Client) LoginBegin(ctx context.Context, userID string) (*api.LoginBeginResponse, error) {
	var r api.LoginBeginResponse
	if err := c.do(ctx, http.MethodPost, api.LocalPathLoginBegin, api.LoginBeginRequest{UserID: userID}, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// LoginFinish completes a login; it returns when the tunnel is up.
func (c *Client) LoginFinish(ctx context.Context, req *api.LoginFinishRequest) (api.Status, error) {
	var st api.Status
	err := c.do(ctx, http.MethodPost, api.LocalPathLoginFinish, req, &st)
	return st, err
}

// LoginCancel abandons the login begun as id.
func (c *Client) LoginCancel(ctx context.Context, id string) (api.Status, error) {
	var st api.Status
	err := c.do(ctx, http.MethodPost, api.LocalPathLoginCancel, &api.LoginCancelRequest{LoginID: id}, &st)
	return st, err
}

// Logout ends the session.
func (c *Client) Logout(ctx context.Context) (api.Status, error) {
	var st api.Status
	err := c.do(ctx, http.MethodPost, api.LocalPathLogout, struct{}{}, &st)
	return st, err
}

// CaptiveExempt opens the kill switch for a captive portal's sign-in page
// for the minutes the profile allows.
func (c *Client) CaptiveExempt(ctx context.Context) (api.Status, error) {
	var st api.Status
	err := c.do(ctx, http.MethodPost, api.LocalPathCaptiveExempt, struct{}{}, &st)
	return st, err
}

// ChangePassword changes the account password.
func (c *Client) ChangePassword(ctx context.Context, req *api.LocalPasswordRequest) error {
	return c.do(ctx, http.MethodPost, api.LocalPathPassword, req, nil)
}

// Profile returns the installed profile and the gateway's description.
func (c *Client) Profile(ctx context.Context) (*api.ProfileInfo, error) {
	var p api.ProfileInfo
	if err := c.do(ctx, http.MethodGet, api.LocalPathProfile, nil, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Diagnostics returns the helpdesk snapshot.
func (c *Client) Diagnostics(ctx context.Context) (*api.Diagnostics, error) {
	var d api.Diagnostics
	if err := c.do(ctx, http.MethodGet, api.LocalPathDiag, nil, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// Bundle writes the support bundle (zip) to w.
func (c *Client) Bundle(ctx context.Context, w io.Writer) error {
	return c.do(ctx, http.MethodGet, api.LocalPathDiagBundle, nil, w)
}

// Watch calls f with the status now and after every change until ctx ends
// or the daemon goes away (then it returns the error).
func (c *Client) Watch(ctx context.Context, f func(api.Status)) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://svpnd"+api.LocalPathWatch, nil)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return &api.Error{Code: CodeDaemonUnavailable, Message: "svpnd is not answering", Err: err}
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var st api.Status
		if err := json.Unmarshal(sc.Bytes(), &st); err != nil {
			return err
		}
		f(st)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err := sc.Err(); err != nil {
		return &api.Error{Code: CodeDaemonUnavailable, Message: "svpnd went away", Err: err}
	}
	return &api.Error{Code: CodeDaemonUnavailable, Message: "svpnd closed the watch stream"}
}

// WaitFor watches until cond holds or ctx ends.
func (c *Client) WaitFor(ctx context.Context, timeout time.Duration, cond func(api.Status) bool) (api.Status, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last api.Status
	err := c.Watch(ctx, func(st api.Status) {
		last = st
		if cond(st) {
			cancel()
		}
	})
	if cond(last) {
		return last, nil
	}
	return last, err
}
