package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/gatewayapi"
)

// A gateway of several nodes (api.Profile.Gateways): when the node in use
// stops answering heartbeats for FailoverAfter, or says it is draining,
// the session is resumed on the next node that answers (api.PathResume):
// same session token, same tunnel address, and, since the nodes of a
// gateway share one WireGuard key, the same tunnel re-pointed at the new
// node's endpoint, so connections inside it survive. Only a session the
// gateway ended needs a new login. Logins start at the node in use and
// move on past nodes that cannot be reached or are draining, and wait out
// rate_limited with jitter, telling the user.

// FailoverAfter is twice WireGuard's REKEY_TIMEOUT (5 s): a node that has
// not answered for that long is taken for dead.
const FailoverAfter = 10 * time.Second

// loginWaitMax bounds how long a login waits for a busy gateway.
const loginWaitMax = 2 * time.Minute

// failoverState is the Engine's record of the current heartbeat failures.
type failoverState struct {
	mu    sync.Mutex
	since time.Time // first failed heartbeat of the current run; zero after a success
}

// heartbeatOK ends a run of failures.
func (e *Engine) heartbeatOK() {
	e.fo.mu.Lock()
	e.fo.since = time.Time{}
	e.fo.mu.Unlock()
}

// failover is called for a heartbeat that failed with err. It moves the
// session to another node when it is time, and reports whether it did; a
// non-nil end means the session is over (the other nodes say so).
func (e *Engine) failover(ctx context.Context, s *session, err error) (moved bool, end *sessionEnd) {
	nodes := e.o.Profile.Gateways()
	if len(nodes) < 2 {
		return false, nil
	}
	code := api.CodeOf(err)
	now := time.Now()
	e.fo.mu.Lock()
	if e.fo.since.IsZero() {
		e.fo.since = now
	}
	since := e.fo.since
	e.fo.mu.Unlock()
	if code != api.CodeNodeDraining && now.Sub(since) < FailoverAfter {
		return false, nil
	}
	cur := e.o.Gateway.Base()
	e.mu.Lock()
	e.updateLocked(func(x *api.Status) {
		x.State, x.LastErrorCode, x.LastError = api.StateReconnecting, code, err.Error()
	})
	e.mu.Unlock()
	for _, u := range after(nodes, cur) {
		c, err := e.o.Gateway.On(u)
		if err != nil {
			continue
		}
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		resp, err := c.Resume(rctx, s.resp.SessionToken)
		cancel()
		switch code := api.CodeOf(err); {
		case err == nil:
		case code == api.CodeSessionEnded || code == api.CodeUnauthorized:
			var reason api.EndReason
			if r, ok := api.RefusalOf(err); ok {
				reason = r.EndReason
			}
			e.log.Info("session ended while its node was away", "node", u, "reason", reason)
			return false, &sessionEnd{msg: err.Error(), reason: reason}
		default:
			e.log.Info("gateway node cannot take the session", "node", u, "err", err)
			continue
		}
		if resp.Tunnel.ServerPublicKey != s.resp.Tunnel.ServerPublicKey || resp.Tunnel.Address != s.resp.Tunnel.Address {
			e.log.Error("gateway node answers with another WireGuard key or address: the nodes of a gateway must share wireguard.private_key_file",
				"node", u, "address", resp.Tunnel.Address)
			continue
		}
		ep, err := resolveEndpoint(ctx, resp.Tunnel.Endpoint)
		if err != nil {
			continue
		}
		if err := s.tun.UpdateEndpoint(ep); err != nil {
			e.log.Warn("re-pointing the tunnel", "err", err)
			continue
		}
		s.endpoint = ep
		s.resp.Tunnel.Endpoint = resp.Tunnel.Endpoint
		e.o.Gateway.SetBase(u)
		if r, ok := s.tun.(interface{ Rekey() error }); ok {
			r.Rekey()
		}
		e.heartbeatOK()
		e.mu.Lock()
		e.updateLocked(func(x *api.Status) {
			x.State, x.Gateway, x.Endpoint, x.LastErrorCode, x.LastError = api.StateConnected, u, resp.Tunnel.Endpoint, "", ""
		})
		e.mu.Unlock()
		e.log.Info("moved to another gateway node", "from", cur, "to", u, "address", resp.Tunnel.Address)
		return true, nil
	}
	return false, nil
}

// after lists the nodes after cur, in order, wrapping around; every node
// but cur.
func after(nodes []string, cur string) []string {
	i := 0
	for j, n := range nodes {
		if n == cur {
			i = j
		}
	}
	var out []string
	for k := 1; k < len(nodes); k++ {
		out = append(out, nodes[(i+k)%len(nodes)])
	}
	return out
}

// challenge opens a login channel and gets a challenge for key pub: at the
// node in use, or the next ones when it cannot be reached or drains;
// waiting out rate_limited (Retry-After with jitter) while the status says
// so. The client moves to the node that answered.
func (e *Engine) challenge(ctx context.Context, userID, pub string) (*gatewayapi.LoginChannel, *api.ChallengeResponse, error) {
	cur := e.o.Gateway.Base()
	nodes := append([]string{cur}, after(e.o.Profile.Gateways(), cur)...)
	deadline := time.Now().Add(loginWaitMax)
	for {
		var lastErr error
		busy := 0
		for _, u := range nodes {
			c := e.o.Gateway
			if u != cur {
				var err error
				if c, err = e.o.Gateway.On(u); err != nil {
					continue
				}
			}
			lc, err := c.OpenLogin(ctx)
			var ch *api.ChallengeResponse
			if err == nil {
				if ch, err = lc.Challenge(ctx, userID, pub); err != nil {
					lc.Close()
				}
			}
			if err == nil {
				if u != cur {
					e.o.Gateway.SetBase(u)
					e.log.Info("logging in through another gateway node", "node", u)
				}
				e.mu.Lock()
				e.updateLocked(func(x *api.Status) { x.Gateway, x.LastErrorCode, x.LastError = u, "", "" })
				e.mu.Unlock()
				return lc, ch, nil
			}
			lastErr = err
			switch code := api.CodeOf(err); code {
			case api.CodeRateLimited:
				if r, ok := api.RefusalOf(err); ok {
					busy = max(busy, r.RetryAfter, 1)
				} else {
					busy = max(busy, 1)
				}
			case api.CodeNodeDraining, gatewayapi.CodeUnreachable:
			default:
				return nil, nil, err
			}
		}
		if busy == 0 {
			if len(nodes) > 1 {
				return nil, nil, &api.Error{Code: api.CodeNoGatewayNode, Message: "no gateway node answered", Err: lastErr}
			}
			return nil, nil, lastErr
		}
		wait := jitter(time.Duration(busy) * time.Second)
		if time.Now().Add(wait).After(deadline) {
			return nil, nil, lastErr
		}
		e.log.Info("the gateway is busy; waiting", "retry_in", wait.Round(time.Millisecond))
		e.mu.Lock()
		e.updateLocked(func(x *api.Status) {
			x.LastErrorCode = api.CodeRateLimited
			x.LastError = fmt.Sprintf("the gateway is busy; trying again in %d s", int(wait.Round(time.Second)/time.Second))
		})
		e.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, nil, ctx.Err()
		case <-t.C:
		}
	}
}

// jitter spreads a retry over [d/2, 3d/2) so that clients told to come
// back at once do not.
func jitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d)
}
