package engine

import (
	"context"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/gatewayapi"
	"github.com/opensvpn/svpn/mobileid"
	"github.com/opensvpn/svpn/wgkey"
)

// mobileLogin is a QR login (모바일 공무원증) svpnd runs: the gateway
// connection that started it is the only one that can collect the phone's
// verdict, so the engine keeps it and polls on it, whatever the front end
// that asked does meanwhile (it may close; the login still completes).
type mobileLogin struct {
	id      string
	owner   string
	userID  string
	key     wgkey.Private
	lc      *gatewayapi.LoginChannel
	trx     string
	expires time.Time
	cancel  context.CancelFunc

	done chan struct{} // closed when the login ended; then st and err
	st   api.Status
	err  error
}

// mobileGrace is how long past the QR's expiry svpnd waits for the
// gateway's verdict before giving up itself.
const mobileGrace = 10 * time.Second

// BeginMobileLogin starts a QR login for a fresh WireGuard key and returns
// what the front end shows. svpnd then waits for the phone on its own
// (WaitMobileLogin reports the outcome). A login started earlier by the
// same user is cancelled.
func (e *Engine) BeginMobileLogin(ctx context.Context, c Caller, userID string) (*api.MobileLoginBeginResponse, error) {
	if userID != "" {
		if err := api.CheckUserID(userID); err != nil {
			return nil, err
		}
	}
	old, err := e.mayBeginMobile(c)
	if err != nil {
		return nil, err
	}
	if old != nil { // the same user's earlier QR: it ends first
		old.cancel()
		<-old.done
	}
	e.mu.Lock()
	if _, err := e.mayBeginMobileLocked(c); err != nil {
		e.mu.Unlock()
		return nil, err
	}
	e.updateLocked(func(st *api.Status) {
		st.State, st.User, st.LastErrorCode, st.LastError, st.EndReason = api.StateAuthenticating, userID, "", "", ""
	})
	e.mu.Unlock()

	key, err := wgkey.NewPrivate()
	if err != nil {
		return nil, e.loginFailed(err)
	}
	lc, err := e.o.Gateway.OpenLogin(ctx)
	if err != nil {
		return nil, e.loginFailed(err)
	}
	start, err := lc.MobileStart(ctx, &api.MobileStartRequest{WGPublicKey: key.Public().String(), UserID: userID})
	if err == nil {
		err = checkMobileStart(start)
	}
	if err != nil {
		lc.Close()
		return nil, e.loginFailed(err)
	}
	expires := start.ExpiresAt
	if limit := e.o.Now().Add(api.MobileTTL); expires.After(limit) {
		expires = limit
	}
	lctx, cancel := context.WithCancel(context.Background())
	m := &mobileLogin{id: randomID(), owner: c.UID, userID: userID, key: key, lc: lc, trx: start.Transaction,
		expires: expires, cancel: cancel, done: make(chan struct{})}
	e.mu.Lock()
	if e.closed || e.mobile != nil || e.sess != nil { // Close, or another begin, meanwhile
		e.mu.Unlock()
		cancel()
		lc.Close()
		return nil, e.loginFailed(api.Errorf(api.CodeAlreadyActive, "another login started meanwhile"))
	}
	e.mobile = m
	e.keepers.Add(1)
	e.mu.Unlock()
	go func() { // owned by the engine: Close cancels it and waits
		defer e.keepers.Done()
		e.runMobile(lctx, m)
	}()
	return &api.MobileLoginBeginResponse{LoginID: m.id, QR: start.QR, ShortCode: start.ShortCode, ExpiresAt: expires}, nil
}

func (e *Engine) mayBeginMobile(c Caller) (*mobileLogin, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.mayBeginMobileLocked(c)
}

// mayBeginMobileLocked refuses a QR login while svpnd closes, a session is
// up, or another user's login runs; it returns the caller's own running
// QR login. e.mu held.
func (e *Engine) mayBeginMobileLocked(c Caller) (*mobileLogin, error) {
	switch {
	case e.closed:
		return nil, api.Errorf(api.CodeUnavailable, "svpnd is shutting down")
	case e.sess != nil:
		return nil, api.Errorf(api.CodeAlreadyActive, "a session is active; log out first")
	case !e.mayControlLocked(c) || (e.mobile != nil && e.mobile.owner != c.UID && !c.Admin):
		return nil, api.Errorf(api.CodeForbidden, "another user's login is in progress")
	}
	return e.mobile, nil
}

// checkMobileStart refuses a gateway answer the front end could not show
// as is: a QR that is not a short M200 of this transaction, or a code that
// is not 4 digits.
func checkMobileStart(s *api.MobileStartResponse) error {
	q, err := mobileid.ParseRequest(s.QR)
	if err != nil || q.TrxCode != s.Transaction {
		return &api.Error{Code: gatewayapi.CodeBadResponse, Message: "the gateway's QR is not a mobile ID request", Err: err}
	}
	if len(s.ShortCode) != 4 || !isDigits(s.ShortCode) {
		return api.Errorf(gatewayapi.CodeBadResponse, "the gateway's short code is not 4 digits")
	}
	return nil
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// runMobile polls for the verdict until it comes, the QR expires, or the
// login is cancelled; an approval becomes the session.
func (e *Engine) runMobile(ctx context.Context, m *mobileLogin) {
	st, err := e.pollMobile(ctx, m)
	m.lc.Close()
	if err != nil {
		err = e.loginFailed(err)
	}
	e.mu.Lock()
	if e.mobile == m {
		e.mobile = nil
	}
	m.st, m.err = st, err
	e.mobileLast = m
	e.mu.Unlock()
	close(m.done)
}

func (e *Engine) pollMobile(ctx context.Context, m *mobileLogin) (api.Status, error) {
	posture := e.o.Posture(ctx)
	start := e.o.Now()
	for {
		if ctx.Err() != nil {
			return api.Status{}, api.Errorf(api.CodeMobileCancelled, "the mobile ID login was cancelled")
		}
		if e.o.Now().After(m.expires.Add(mobileGrace)) {
			return api.Status{}, api.Errorf(api.CodeMobileExpired, "no answer from the phone within %s", api.MobileTTL)
		}
		r, err := m.lc.MobileResult(ctx, &api.MobileResultRequest{Transaction: m.trx, WGPublicKey: m.key.Public().String(),
			Device: e.o.Device, Posture: posture})
		if ctx.Err() != nil {
			return api.Status{}, api.Errorf(api.CodeMobileCancelled, "the mobile ID login was cancelled")
		}
		if err != nil {
			return api.Status{}, err
		}
		switch {
		case r.Status == api.MobilePending:
			continue
		case r.Status == api.MobileApproved && r.Login != nil:
			return e.establish(ctx, m.owner, m.key, r.Login, start)
		}
		return api.Status{}, api.Errorf(gatewayapi.CodeBadResponse, "the gateway's mobile ID verdict %q", r.Status)
	}
}

// establish brings up the tunnel of a session the gateway granted, as a
// certificate login does, and ends the gateway's session if that fails.
func (e *Engine) establish(ctx context.Context, owner string, key wgkey.Private, resp *api.LoginResponse, start time.Time) (api.Status, error) {
	e.mu.Lock()
	if e.sess != nil || e.closed {
		e.mu.Unlock()
		e.endGrantedSession(ctx, resp)
		return api.Status{}, api.Errorf(api.CodeAlreadyActive, "another session came up meanwhile")
	}
	e.owner = owner
	e.lastCert = nil // this login used no certificate
	e.updateLocked(func(st *api.Status) {
		st.State, st.User, st.DisplayName, st.Address = api.StateConnecting, resp.UserID, resp.DisplayName, resp.Tunnel.Address
		st.PortalURL, st.Banner, st.Routes, st.DNS, st.MTU = resp.PortalURL, resp.Banner, resp.Tunnel.Routes, resp.Tunnel.DNS, resp.Tunnel.MTU
		st.SessionExpiresAt, st.Endpoint = resp.ExpiresAt, resp.Tunnel.Endpoint
	})
	e.mu.Unlock()
	if _, err := e.connect(ctx, key, resp, owner); err != nil {
		e.endGrantedSession(ctx, resp)
		e.mu.Lock()
		e.owner = ""
		e.mu.Unlock()
		return api.Status{}, err
	}
	e.log.Info("connected with the mobile ID", "user", resp.UserID, "address", resp.Tunnel.Address, "login_to_handshake", e.o.Now().Sub(start))
	return e.Status(), nil
}

// endGrantedSession ends a session svpnd will not use, rather than leak it.
func (e *Engine) endGrantedSession(ctx context.Context, resp *api.LoginResponse) {
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	e.o.Gateway.Logout(lctx, resp.SessionToken)
	cancel()
}

// mobileLocked finds the QR login id, running or just ended. e.mu held.
func (e *Engine) mobileLocked(id string) *mobileLogin {
	for _, m := range []*mobileLogin{e.mobile, e.mobileLast} {
		if m != nil && m.id == id {
			return m
		}
	}
	return nil
}

// WaitMobileLogin waits for the QR login id to end: the connected status,
// or why it failed (expired, declined, refused, cancelled).
func (e *Engine) WaitMobileLogin(ctx context.Context, c Caller, id string) (api.Status, error) {
	e.mu.Lock()
	m := e.mobileLocked(id)
	e.mu.Unlock()
	if m == nil {
		return api.Status{}, api.Errorf(api.CodeLoginExpired, "no such mobile ID login; start again")
	}
	if m.owner != c.UID && !c.Admin {
		return api.Status{}, api.Errorf(api.CodeForbidden, "this login was started by another user")
	}
	select {
	case <-m.done:
		return m.st, m.err
	case <-ctx.Done():
		return api.Status{}, ctx.Err()
	}
}

// CancelMobileLogin stops the QR login id (the user closed the QR or
// pressed 취소) and returns once it has ended.
func (e *Engine) CancelMobileLogin(ctx context.Context, c Caller, id string) (api.Status, error) {
	e.mu.Lock()
	m := e.mobileLocked(id)
	e.mu.Unlock()
	if m == nil {
		return e.Status(), nil
	}
	if m.owner != c.UID && !c.Admin {
		return api.Status{}, api.Errorf(api.CodeForbidden, "this login was started by another user")
	}
	m.cancel()
	select {
	case <-m.done:
		return e.Status(), nil
	case <-ctx.Done():
		return api.Status{}, ctx.Err()
	}
}

// stopMobile cancels a running QR login (Close).
func (e *Engine) stopMobile() {
	e.mu.Lock()
	m := e.mobile
	e.mu.Unlock()
	if m != nil {
		m.cancel()
	}
}

// mobileSecretsLocked are the running QR login's secrets. e.mu held.
func (e *Engine) mobileSecretsLocked() []string {
	if e.mobile == nil {
		return nil
	}
	return []string{e.mobile.key.Base64Secret(), e.mobile.key.UAPIHex()}
}
