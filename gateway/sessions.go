package gateway

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/gateway/store"
	"github.com/opensvpn/svpn/wgkey"
)

// addPeer adds a session's peer and remembers it.
func (s *Server) addPeer(sessionID string, key wgkey.Public, addr netip.Addr) error {
	if err := s.peers.AddPeer(key, addr); err != nil {
		return err
	}
	s.mu.Lock()
	s.live[sessionID] = key
	s.mu.Unlock()
	return nil
}

// dropPeer removes a session's peer if this node holds it.
func (s *Server) dropPeer(sessionID string) {
	s.mu.Lock()
	key, ok := s.live[sessionID]
	delete(s.live, sessionID)
	s.mu.Unlock()
	if s.streams != nil {
		s.streams.closeSession(sessionID)
	}
	if ok {
		if err := s.peers.RemovePeer(key); err != nil {
			s.log.Error("removing peer", "session", sessionID, "err", err)
		}
	}
}

// ActiveSessions is the number of sessions with a peer on this node.
func (s *Server) ActiveSessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.live)
}

// restorePeers re-adds the peers of this node's active sessions after a
// restart.
func (s *Server) restorePeers(ctx context.Context) error {
	sessions, err := s.st.ListActiveSessions(ctx)
	if err != nil {
		return err
	}
	for _, sess := range sessions {
		if sess.Node != s.node || !sess.TunnelAddr.IsValid() {
			continue
		}
		key, err := wgkey.ParsePublic(sess.PublicKey)
		if err != nil {
			continue
		}
		if err := s.addPeer(sess.ID, key, sess.TunnelAddr); err != nil {
			return err
		}
	}
	if n := s.ActiveSessions(); n > 0 {
		s.log.Info("restored session peers", "count", n)
	}
	return nil
}

func (s *Server) heartbeat(ctx context.Context, token string) (*api.SessionStatus, error) {
	sess, err := s.st.SessionByToken(ctx, store.HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, refuse(api.CodeUnauthorized, "unknown session token")
	} else if err != nil {
		return nil, internalError(err)
	}
	if !sess.Active() {
		s.dropPeer(sess.ID)
		return nil, sessionEnded(sess.EndReason)
	}
	now := s.now()
	if now.After(sess.ExpiresAt) || now.After(sess.IdleExpiresAt) {
		s.endSession(ctx, sess, api.EndExpired, "")
		return nil, sessionEnded(api.EndExpired)
	}
	sess, err = s.st.TouchSession(ctx, sess.ID, now, time.Duration(s.cfg.SessionIdle))
	if err != nil {
		return nil, internalError(err)
	}
	if !sess.Active() { // ended between the read and the touch
		s.dropPeer(sess.ID)
		return nil, sessionEnded(sess.EndReason)
	}
	if s.draining.Load() { // kept alive, and told to move
		return nil, drainingRefusal()
	}
	return &api.SessionStatus{SessionID: sess.ID, ExpiresAt: sess.ExpiresAt, IdleExpiresAt: sess.IdleExpiresAt}, nil
}

func sessionEnded(reason api.EndReason) error {
	r := refuse(api.CodeSessionEnded, "the session has ended (%s); log in again", reason)
	r.resp.EndReason = reason
	return r
}

func (s *Server) logout(ctx context.Context, token, source string) error {
	sess, err := s.st.SessionByToken(ctx, store.HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return refuse(api.CodeUnauthorized, "unknown session token")
	} else if err != nil {
		return internalError(err)
	}
	if !sess.Active() {
		s.dropPeer(sess.ID)
		return nil // logging out twice is fine
	}
	return s.endSession(ctx, sess, api.EndLogout, source)
}

// endSession ends a session in the store and removes its peer.
func (s *Server) endSession(ctx context.Context, sess store.Session, reason api.EndReason, source string) error {
	if _, err := s.st.EndSession(ctx, sess.ID, reason, s.now()); err != nil {
		return internalError(err)
	}
	s.dropPeer(sess.ID)
	s.audit(ctx, "session_ended", sess.UserID, source, "", map[string]string{"session": sess.ID, "reason": string(reason)})
	return nil
}

// ReconcileInterval is how often a node removes the peers of sessions
// ended elsewhere (an administrator's kick from the CLI, another node) and
// expires idle sessions.
const ReconcileInterval = 2 * time.Second

// Run does the background work until ctx ends: expiring sessions,
// removing peers of sessions ended elsewhere, reloading CRLs, and the node's
// part in a cluster (cluster.go).
func (s *Server) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { s.runCRLRefresh(ctx, time.Duration(s.cfg.CRLRefresh)) })
	wg.Go(func() { s.runCluster(ctx) })
	defer wg.Wait()
	every(ctx, ReconcileInterval, func() { s.Reconcile(ctx) })
}

// every calls f each interval until ctx ends: the gateway's periodic jobs.
func every(ctx context.Context, interval time.Duration, f func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f()
		}
	}
}

// Reconcile expires due sessions (one node of a cluster at a time) and
// drops peers whose session ended or moved to another node.
func (s *Server) Reconcile(ctx context.Context) {
	s.pruneMoves(ctx)
	if _, err := s.st.RunExclusive(ctx, store.JobExpirySweep, s.sweep); err != nil {
		s.log.Error("session sweep", "err", err)
	}
	s.dropGone(ctx)
}
