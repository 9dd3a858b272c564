package engine

import (
	"context"
	"net"
	"net/url"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/tunnel/proxy"
)

// kickedHeartbeatTimeout bounds the heartbeat that follows a network
// change or a resume.
const kickedHeartbeatTimeout = 5 * time.Second

// sessionEnd is why the gateway ended a session.
type sessionEnd struct {
	msg    string
	reason api.EndReason
}

// keepSession sends heartbeats until the session ends. A gateway that does
// not answer moves the state to reconnecting and keeps the tunnel (the
// session is still valid at the gateway, which restores its peers when it
// restarts). An answer that the session ended returns why, and the caller
// tears everything down; a nil result means ctx ended (logout, Close). A
// wall-clock jump far beyond the interval (sleep and wake) triggers an
// immediate heartbeat and re-resolves the endpoint, for a network that
// changed.
func (e *Engine) keepSession(ctx context.Context, s *session) *sessionEnd {
	interval := time.Duration(s.resp.HeartbeatInterval) * time.Second
	if interval <= 0 {
		interval = 30 * time.Second
	}
	wait := interval
	last := time.Now()
	e.reportEvents(ctx, s.resp.SessionToken) // kept from before this session
	for {
		timer := time.NewTimer(wait)
		kicked := false
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-timer.C:
		case <-s.kick:
			timer.Stop()
			kicked = true
			e.log.Info("network changed or resumed: checking the session")
		}
		woke := time.Since(last) > 2*wait+5*time.Second // slept: the monotonic clock paused
		last = time.Now()
		// After a network change or a resume the state shown must be true
		// within seconds: wait less for the gateway's answer.
		timeout := 10 * time.Second
		if kicked {
			timeout = kickedHeartbeatTimeout
		}
		hctx, cancel := context.WithTimeout(ctx, timeout)
		st, err := e.o.Gateway.Heartbeat(hctx, s.resp.SessionToken)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		switch code := api.CodeOf(err); {
		case err == nil:
			wait = interval
			e.heartbeatOK()
			e.mu.Lock()
			wasReconnecting := e.status.State == api.StateReconnecting
			soon := st.ExpiresAt.Sub(e.o.Now()) < api.SessionWarning
			if soon && !e.status.ExpiringSoon {
				e.log.Info("session expires soon", "expires_at", st.ExpiresAt)
			}
			e.updateLocked(func(x *api.Status) {
				x.State, x.SessionExpiresAt, x.ExpiringSoon = api.StateConnected, st.ExpiresAt, soon
				if wasReconnecting {
					x.LastErrorCode, x.LastError = "", ""
				}
			})
			e.mu.Unlock()
			e.reportEvents(ctx, s.resp.SessionToken)
			if wasReconnecting || woke || kicked {
				e.rebind(ctx, s)
				// The gateway may have restarted and lost the WireGuard
				// session: start a fresh handshake now instead of waiting
				// the ~15 s WireGuard takes to notice on its own.
				if r, ok := s.tun.(interface{ Rekey() error }); ok {
					if err := r.Rekey(); err != nil {
						e.log.Warn("re-keying the tunnel", "err", err)
					}
				}
			}
		case code == api.CodeSessionEnded || code == api.CodeUnauthorized:
			var reason api.EndReason
			if r, ok := api.RefusalOf(err); ok {
				reason = r.EndReason
			}
			e.mu.Lock()
			e.recordErrorLocked(err)
			e.mu.Unlock()
			e.log.Info("session ended by the gateway", "reason", reason)
			return &sessionEnd{msg: err.Error(), reason: reason}
		default:
			if moved, end := e.failover(ctx, s, err); end != nil { // failover.go
				return end
			} else if moved {
				wait = interval
				continue
			}
			err = e.explainUnreachable(ctx, err)
			code = api.CodeOf(err)
			wait = min(interval, e.o.RetryInterval)
			e.mu.Lock()
			e.recordErrorLocked(err)
			e.updateLocked(func(x *api.Status) {
				x.State, x.LastErrorCode, x.LastError = api.StateReconnecting, code, err.Error()
			})
			e.mu.Unlock()
		}
	}
}

// rebind re-resolves the gateway endpoint and re-points the tunnel if it
// moved (a new network, a gateway behind a changed DNS name).
func (e *Engine) rebind(ctx context.Context, s *session) {
	ep, err := resolveEndpoint(ctx, s.resp.Tunnel.Endpoint)
	if err != nil || ep == s.endpoint {
		return
	}
	// The kill switch lets the new endpoint through before the tunnel
	// sends to it.
	e.guardEndpoint(s.endpoint, ep)
	if err := s.tun.UpdateEndpoint(ep); err != nil {
		e.log.Warn("updating the endpoint", "err", err)
		return
	}
	s.endpoint = ep
	e.log.Info("gateway endpoint changed", "endpoint", ep)
}

// portalTarget returns the origin (scheme://host:port) and the request
// path of an http(s) portal URL.
func portalTarget(portal string) (target *url.URL, path string, ok bool) {
	u, err := url.Parse(portal)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, "", false
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return &url.URL{Scheme: u.Scheme, Host: net.JoinHostPort(u.Hostname(), port)}, u.RequestURI(), true
}

// withoutToken returns a portal forward URL without its token.
func withoutToken(u string) string {
	p, err := url.Parse(u)
	if err != nil || u == "" {
		return ""
	}
	q := p.Query()
	if !q.Has(proxy.TokenParam) {
		return u
	}
	q.Del(proxy.TokenParam)
	p.RawQuery = q.Encode()
	return p.String()
}
