package gateway

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/gateway/password"
	"github.com/opensvpn/svpn/gateway/store"
	"github.com/opensvpn/svpn/wgkey"
)

// A gateway cluster is nodes sharing gateway_id and one PostgreSQL store,
// with no other coordinator:
//
//   - each node heartbeats its row in the nodes table every
//     NodeHeartbeatInterval, and reads its draining flag back;
//   - a session records the node that holds its peer; a client whose node
//     stops answering, or drains, resumes the session on another node
//     (PathResume), which takes the peer over with the same address and key;
//   - a session that ends or moves anywhere is announced by a trigger
//     (LISTEN/NOTIFY) and the node that held its peer removes it at once;
//     the ReconcileInterval loop does the same from the table as a fallback;
//   - the sweep (expiry, sessions of dead nodes) and the CRL refresh run on
//     one node at a time (store.RunExclusive: pg_try_advisory_lock).
const (
	NodeHeartbeatInterval = 2 * time.Second
	// NodeDeadAfter without a heartbeat, a node is dead (node list).
	NodeDeadAfter = 10 * time.Second
	// NodeTakeoverGrace is how long the sessions of a dead node wait for
	// their clients to resume them elsewhere before they are ended.
	NodeTakeoverGrace = 2 * time.Minute
)

// cluster is the Server's cluster state.
type cluster struct {
	apiURL   string
	draining atomic.Bool
	admit    *admission
}

func (s *Server) initCluster(cfg *Config, o Options) {
	s.apiURL = o.APIURL
	if s.apiURL == "" {
		s.apiURL = cfg.APIURL
	}
	budget := time.Duration(cfg.LoginQueueBudget)
	if budget <= 0 {
		budget = DefaultLoginQueueBudget
	}
	// One check with this configuration's parameters gives the first
	// estimate of the node's rate; the checks of real logins refine it.
	start := time.Now()
	password.Hash("calibration", cfg.Argon2)
	procs := runtime.GOMAXPROCS(0)
	s.admit = newAdmission(time.Since(start)/time.Duration(procs), budget, 4*procs)
}

// runCluster heartbeats the node and listens for sessions ended or moved
// elsewhere until ctx ends.
func (s *Server) runCluster(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { s.nodeHeartbeats(ctx) })
	wg.Go(func() {
		err := s.st.ListenSessions(ctx, s.sessionChanged, func() { s.dropGone(ctx) },
			func(err error) { s.log.Warn("session notifications", "err", err) })
		if err != nil && !errors.Is(err, store.ErrNoNotifications) && ctx.Err() == nil {
			s.log.Error("session notifications stopped", "err", err)
		}
	})
	wg.Wait()
}

func (s *Server) nodeHeartbeats(ctx context.Context) {
	started := s.nodeHeartbeat(ctx, true)
	every(ctx, NodeHeartbeatInterval, func() {
		ok := s.nodeHeartbeat(ctx, !started)
		started = started || ok
	})
}

// nodeHeartbeat records that this node is alive and learns whether it is
// draining. It reports whether the store answered.
func (s *Server) nodeHeartbeat(ctx context.Context, starting bool) bool {
	n, err := s.st.NodeHeartbeat(ctx, store.Node{ID: s.node, APIURL: s.apiURL, WGEndpoint: s.endpoint}, s.now(), starting)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("node heartbeat", "err", err)
		}
		return false
	}
	if was := s.draining.Swap(n.Draining); was != n.Draining {
		s.log.Info("node draining", "draining", n.Draining)
	}
	return true
}

// Draining reports whether this node is taking no new logins.
func (s *Server) Draining() bool { return s.draining.Load() }

// sessionChanged removes the peer of a session that ended or moved to
// another node, if this node holds it.
func (s *Server) sessionChanged(c store.SessionChange) {
	s.mu.Lock()
	_, held := s.live[c.SessionID]
	s.mu.Unlock()
	if !held {
		return
	}
	if c.Node == s.node {
		// Ended here, or moved here (then it stays): ask.
		sess, err := s.st.GetSession(context.Background(), c.SessionID)
		if err == nil && sess.Active() && sess.Node == s.node {
			return
		}
	}
	s.dropPeer(c.SessionID)
}

// dropGone removes the peers of sessions that ended or moved to another
// node: the fallback for notifications lost (SQLite has none; a PostgreSQL
// connection may drop).
func (s *Server) dropGone(ctx context.Context) {
	// Only peers held before the listing are judged by it: a session
	// created meanwhile is not in it, and must keep its peer.
	s.mu.Lock()
	before := make([]string, 0, len(s.live))
	for id := range s.live {
		before = append(before, id)
	}
	s.mu.Unlock()
	if len(before) == 0 {
		return
	}
	keep, err := s.st.NodeSessionIDs(ctx, s.node)
	if err != nil {
		s.log.Error("listing sessions", "err", err)
		return
	}
	for _, id := range before {
		if !keep[id] {
			s.dropPeer(id)
		}
	}
}

// sweep ends due sessions, and those of nodes dead for longer than the
// takeover grace. One node at a time runs it.
func (s *Server) sweep(ctx context.Context) error {
	now := s.now()
	expired, err := s.st.ExpireDue(ctx, now)
	if err != nil {
		s.log.Error("expiring sessions", "err", err)
	}
	lost, err := s.st.EndSessionsOfDeadNodes(ctx, now.Add(-NodeTakeoverGrace), now)
	if err != nil {
		s.log.Error("ending sessions of dead nodes", "err", err)
	}
	for _, sess := range append(expired, lost...) {
		s.dropPeer(sess.ID)
		s.audit(ctx, "session_ended", sess.UserID, "", "", map[string]string{"session": sess.ID, "reason": string(api.EndExpired), "node": sess.Node})
	}
	return nil
}

// resume moves a live session to this node: its peer, same key and
// address, is added here, and the node that held it removes it.
func (s *Server) resume(ctx context.Context, token, source string) (*api.LoginResponse, error) {
	if s.draining.Load() {
		return nil, drainingRefusal()
	}
	sess, err := s.st.SessionByToken(ctx, store.HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, refuse(api.CodeUnauthorized, "unknown session token")
	} else if err != nil {
		return nil, internalError(err)
	}
	if !sess.Active() {
		return nil, sessionEnded(sess.EndReason)
	}
	now := s.now()
	if now.After(sess.ExpiresAt) || now.After(sess.IdleExpiresAt) {
		s.endSession(ctx, sess, api.EndExpired, "")
		return nil, sessionEnded(api.EndExpired)
	}
	key, err := wgkey.ParsePublic(sess.PublicKey)
	if err != nil || !sess.TunnelAddr.IsValid() {
		return nil, internalError(errors.New("stored session has no key or address"))
	}
	from := sess.Node
	if sess, err = s.st.MoveSession(ctx, sess.ID, s.node, now); err != nil {
		return nil, internalError(err)
	}
	if !sess.Active() {
		return nil, sessionEnded(sess.EndReason)
	}
	if sess, err = s.st.TouchSession(ctx, sess.ID, now, time.Duration(s.cfg.SessionIdle)); err != nil {
		return nil, internalError(err)
	}
	if !sess.Active() {
		return nil, sessionEnded(sess.EndReason)
	}
	user, err := s.st.GetUser(ctx, sess.UserID)
	if err != nil {
		return nil, internalError(err)
	}
	if err := s.addPeer(sess.ID, key, sess.TunnelAddr); err != nil {
		return nil, internalError(err)
	}
	if from != s.node {
		s.audit(ctx, "session_resumed", sess.UserID, source, "", map[string]string{"session": sess.ID, "from": from,
			"address": sess.TunnelAddr.String()})
	}
	g := s.cfg.group(user.Group)
	return &api.LoginResponse{
		SessionID: sess.ID, UserID: user.ID, DisplayName: user.DisplayName,
		ExpiresAt: sess.ExpiresAt, IdleExpiresAt: sess.IdleExpiresAt,
		HeartbeatInterval: int(time.Duration(s.cfg.HeartbeatInterval).Seconds()),
		Tunnel: api.Tunnel{Address: netipPrefix32(sess), ServerPublicKey: s.pub.String(), Endpoint: s.endpoint,
			Routes: g.Routes, DNS: g.DNS, SearchDomains: g.SearchDomains, MTU: s.cfg.WG.MTU, Keepalive: s.cfg.WG.Keepalive},
		PortalURL: g.PortalURL,
	}, nil
}

func (s *Server) handleResume(w http.ResponseWriter, r *http.Request) {
	tok, ok := bearer(r)
	if !ok {
		s.writeError(w, r, refuse(api.CodeUnauthorized, "missing session token"))
		return
	}
	resp, err := s.resume(r.Context(), tok, clientSource(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}
