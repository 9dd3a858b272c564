package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/opensvpn/svpn/api"
)

// Node is a gateway node of a cluster as the nodes table knows it.
type Node struct {
	ID          string
	APIURL      string // https://host:port clients reach its API on
	WGEndpoint  string // host:port of its WireGuard device
	StartedAt   time.Time
	HeartbeatAt time.Time
	Draining    bool // takes no new logins; its clients are sent elsewhere
	Sessions    int  // active sessions whose peer it holds (Nodes only)
}

// Alive reports whether the node heartbeated within deadAfter of now.
func (n Node) Alive(now time.Time, deadAfter time.Duration) bool {
	return now.Sub(n.HeartbeatAt) < deadAfter
}

// NodeHeartbeat records that node n is alive at now, creating its row on the
// first call. A node that starts (startedAt set) clears its draining flag: a
// restarted node serves again. It returns the row as stored.
func (s *Store) NodeHeartbeat(ctx context.Context, n Node, now time.Time, starting bool) (Node, error) {
	if n.ID == "" {
		return Node{}, fmt.Errorf("%w: node needs an ID", ErrInvalid)
	}
	now = utc(now)
	const cols = `node_id, api_url, wg_endpoint, started_at, heartbeat_at, draining`
	q := `INSERT INTO nodes (` + cols + `) VALUES (?, ?, ?, ?, ?, FALSE)
		ON CONFLICT (node_id) DO UPDATE SET api_url = excluded.api_url, wg_endpoint = excluded.wg_endpoint,
			heartbeat_at = excluded.heartbeat_at`
	if starting {
		q += `, started_at = excluded.started_at, draining = FALSE`
	}
	q += ` RETURNING ` + cols
	out, err := scanNode(s.writer().row(ctx, q, n.ID, n.APIURL, n.WGEndpoint, now.UnixMicro(), now.UnixMicro()))
	if err != nil {
		return Node{}, fmt.Errorf("store: node heartbeat: %w", err)
	}
	return out, nil
}

func scanNode(r scanner) (Node, error) {
	var n Node
	var started, beat int64
	err := r.Scan(&n.ID, &n.APIURL, &n.WGEndpoint, &started, &beat, &n.Draining)
	n.StartedAt, n.HeartbeatAt = microTime(started), microTime(beat)
	return n, err
}

// Nodes lists the nodes with the number of active sessions each holds.
func (s *Store) Nodes(ctx context.Context) ([]Node, error) {
	ns, err := queryAll(ctx, s.reader(), func(r scanner) (Node, error) {
		var n Node
		var started, beat int64
		err := r.Scan(&n.ID, &n.APIURL, &n.WGEndpoint, &started, &beat, &n.Draining, &n.Sessions)
		n.StartedAt, n.HeartbeatAt = microTime(started), microTime(beat)
		return n, err
	}, `SELECT n.node_id, n.api_url, n.wg_endpoint, n.started_at, n.heartbeat_at, n.draining,
			(SELECT COUNT(*) FROM sessions s WHERE s.node = n.node_id AND s.ended_at IS NULL)
		FROM nodes n ORDER BY n.node_id`)
	if err != nil {
		return nil, fmt.Errorf("store: listing nodes: %w", err)
	}
	return ns, nil
}

// GetNode returns one node.
func (s *Store) GetNode(ctx context.Context, id string) (Node, error) {
	n, err := scanNode(s.reader().row(ctx, `SELECT node_id, api_url, wg_endpoint, started_at, heartbeat_at, draining
		FROM nodes WHERE node_id = ?`, id))
	if isNoRows(err) {
		return Node{}, fmt.Errorf("node %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return Node{}, fmt.Errorf("store: getting node: %w", err)
	}
	return n, nil
}

// SetNodeDraining sets or clears a node's draining flag.
func (s *Store) SetNodeDraining(ctx context.Context, id string, draining bool) error {
	if err := oneRow(s.writer().exec(ctx, `UPDATE nodes SET draining = ? WHERE node_id = ?`, draining, id)); err != nil {
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("node %q: %w", id, ErrNotFound)
		}
		return fmt.Errorf("store: draining node: %w", err)
	}
	return nil
}

// MoveSession makes node the holder of an active session's peer: a client
// whose node died or is draining resumes it on another node, keeping its
// address and WireGuard key. It returns the session as stored; an ended
// session is returned unchanged (check Active).
func (s *Store) MoveSession(ctx context.Context, id, node string, now time.Time) (Session, error) {
	var sess Session
	err := s.inTx(ctx, func(c conn) error {
		var err error
		sess, err = scanSession(c.row(ctx, `SELECT `+sessionCols+` FROM sessions WHERE session_id = ?`+c.forUpdate(), id))
		if isNoRows(err) {
			return fmt.Errorf("session: %w", ErrNotFound)
		}
		if err != nil || !sess.Active() || sess.Node == node {
			return err
		}
		sess, err = scanSession(c.row(ctx, `UPDATE sessions SET node = ?, last_seen = ? WHERE session_id = ?
			RETURNING `+sessionCols, node, utc(now).UnixMicro(), id))
		return err
	})
	if err != nil {
		return Session{}, fmt.Errorf("store: moving session: %w", err)
	}
	return sess, nil
}

// EndSessionsOfDeadNodes ends (api.EndExpired) the active sessions held by
// nodes whose last heartbeat is before deadBefore and frees their
// addresses: clients that did not move to another node within the grace.
func (s *Store) EndSessionsOfDeadNodes(ctx context.Context, deadBefore, now time.Time) ([]Session, error) {
	var ended []Session
	err := s.inTx(ctx, func(c conn) error {
		var err error
		ended, err = endSessions(ctx, c, utc(now), api.EndExpired,
			`node IN (SELECT node_id FROM nodes WHERE heartbeat_at < ?)`, utc(deadBefore).UnixMicro())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: ending sessions of dead nodes: %w", err)
	}
	return ended, nil
}

// DeleteNode removes a node's row (a node taken out of the cluster). Its
// active sessions, if any, stay until they move or expire.
func (s *Store) DeleteNode(ctx context.Context, id string) error {
	if err := oneRow(s.writer().exec(ctx, `DELETE FROM nodes WHERE node_id = ?`, id)); err != nil {
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("node %q: %w", id, ErrNotFound)
		}
		return fmt.Errorf("store: deleting node: %w", err)
	}
	return nil
}

// EndCertificateSessions ends (api.EndRevoked) the active sessions of the
// accounts bound to a certificate (serial as stored, issuer "" for any),
// when the certificate is revoked.
func (s *Store) EndCertificateSessions(ctx context.Context, serial, issuer string, now time.Time) ([]Session, error) {
	var ended []Session
	err := s.inTx(ctx, func(c conn) error {
		var err error
		ended, err = endSessions(ctx, c, utc(now), api.EndRevoked, `user_id IN (SELECT user_id FROM users
			WHERE cert_serial = ? AND cert_serial <> '' AND (? = '' OR cert_issuer = ''  OR cert_issuer = ?))`, serial, issuer, issuer)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: ending sessions of a revoked certificate: %w", err)
	}
	return ended, nil
}

// NodeSessionIDs returns the IDs of the active sessions node holds: what
// the node's reconcile compares its peers with (an index, not every
// session of the cluster).
func (s *Store) NodeSessionIDs(ctx context.Context, node string) (map[string]bool, error) {
	ids, err := queryAll(ctx, s.reader(), func(r scanner) (string, error) {
		var id string
		return id, r.Scan(&id)
	}, `SELECT session_id FROM sessions WHERE node = ? AND ended_at IS NULL`, node)
	if err != nil {
		return nil, fmt.Errorf("store: listing the sessions of node %q: %w", node, err)
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}
