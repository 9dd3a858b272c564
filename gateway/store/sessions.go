package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"sort"
	"time"

	"github.com/opensvpn/svpn/api"
)

// Session is a logged-in tunnel. Only a hash of its token is stored.
type Session struct {
	ID            string
	TokenHash     string // HashToken of the bearer token
	UserID        string
	PublicKey     string     // the client's WireGuard public key (base64)
	TunnelAddr    netip.Addr // leased address; invalid if none
	Source        string     // client address as the gateway saw it
	Device        json.RawMessage
	Node          string // gateway node that created it
	CreatedAt     time.Time
	LastSeen      time.Time
	IdleExpiresAt time.Time
	ExpiresAt     time.Time
	EndedAt       time.Time     // zero while active
	EndReason     api.EndReason // "" while active
}

// Active reports whether the session has not ended. A session past its
// expiry is still active until ExpireDue or TouchSession ends it.
func (s Session) Active() bool { return s.EndedAt.IsZero() }

// HashToken is how session tokens are stored and looked up. Tokens are
// random 128-bit or longer values, so a fast hash is enough: it only keeps a
// copy of the database from being a list of live credentials.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

const sessionCols = `session_id, token_hash, user_id, wg_public_key, tunnel_addr, source, device, node,
	created_at, last_seen, idle_expires_at, expires_at, ended_at, end_reason`

func scanSession(r scanner) (Session, error) {
	var s Session
	var addr, device, reason string
	var created, seen, idle, expires int64
	var ended sql.NullInt64
	err := r.Scan(&s.ID, &s.TokenHash, &s.UserID, &s.PublicKey, &addr, &s.Source, &device, &s.Node,
		&created, &seen, &idle, &expires, &ended, &reason)
	if err != nil {
		return Session{}, err
	}
	if addr != "" {
		if s.TunnelAddr, err = netip.ParseAddr(addr); err != nil {
			return Session{}, fmt.Errorf("session %s: stored tunnel address: %w", s.ID, err)
		}
	}
	if device != "" {
		s.Device = json.RawMessage(device)
	}
	s.CreatedAt, s.LastSeen = microTime(created), microTime(seen)
	s.IdleExpiresAt, s.ExpiresAt = microTime(idle), microTime(expires)
	s.EndedAt, s.EndReason = goTime(ended), api.EndReason(reason)
	return s, nil
}

// CreateOptions says what else CreateSession does in its transaction.
type CreateOptions struct {
	// Single ends the user's other active sessions first (api.EndReplaced):
	// one session per user, enforced across gateway nodes.
	Single bool
	// Pool, when valid, leases the session's tunnel address from it as
	// AcquireLease does, and Session.TunnelAddr is set from the lease.
	// Leasing after ending the replaced sessions is what gives a user who
	// reconnects the address of the session being replaced.
	Pool     netip.Prefix
	Reserved []netip.Addr
	// NewPasswordHash, when set, becomes the user's password (and clears
	// must_change_password) in the same transaction, so a password changed
	// at login is changed only if the session is created.
	NewPasswordHash string
}

// CreateSession stores a new session and returns it as stored, with the
// sessions it ended (Single) so the caller can remove their peers. An empty
// ID is generated; CreatedAt and LastSeen default to now, IdleExpiresAt to
// ExpiresAt. It returns ErrNotFound for an unknown user and ErrExists when the
// ID or token is taken or the WireGuard key or address is in use by another
// active session.
func (s *Store) CreateSession(ctx context.Context, sess Session, opt CreateOptions) (Session, []Session, error) {
	if sess.ID == "" {
		sess.ID = NewID()
	}
	switch {
	case sess.UserID == "" || sess.TokenHash == "":
		return Session{}, nil, fmt.Errorf("%w: session needs a user and a token hash", ErrInvalid)
	case sess.ExpiresAt.IsZero():
		return Session{}, nil, fmt.Errorf("%w: session needs an expiry", ErrInvalid)
	case !sess.EndedAt.IsZero() || sess.EndReason != "":
		return Session{}, nil, fmt.Errorf("%w: new session is already ended", ErrInvalid)
	case len(sess.Device) > 0 && !json.Valid(sess.Device):
		return Session{}, nil, fmt.Errorf("%w: device info is not JSON", ErrInvalid)
	}
	now := s.now()
	if sess.CreatedAt.IsZero() {
		sess.CreatedAt = now
	}
	if sess.LastSeen.IsZero() {
		sess.LastSeen = sess.CreatedAt
	}
	if sess.IdleExpiresAt.IsZero() {
		sess.IdleExpiresAt = sess.ExpiresAt
	}
	sess.CreatedAt, sess.LastSeen = utc(sess.CreatedAt), utc(sess.LastSeen)
	sess.IdleExpiresAt, sess.ExpiresAt = utc(sess.IdleExpiresAt), utc(sess.ExpiresAt)

	var ended []Session
	err := s.inTx(ctx, func(c conn) error {
		// Locking the user row serialises logins of one user across nodes.
		var one int
		err := c.row(ctx, `SELECT 1 FROM users WHERE user_id = ?`+c.forUpdate(), sess.UserID).Scan(&one)
		if isNoRows(err) {
			return fmt.Errorf("user %q: %w", sess.UserID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		ended = nil // a retried transaction starts afresh
		if opt.NewPasswordHash != "" {
			if _, err := c.exec(ctx, `UPDATE users SET password_hash = ?, must_change_password = FALSE,
				password_changed_at = ?, updated_at = ? WHERE user_id = ?`,
				opt.NewPasswordHash, now.UnixMicro(), now.UnixMicro(), sess.UserID); err != nil {
				return err
			}
		}
		if opt.Single {
			if ended, err = endSessions(ctx, c, now, api.EndReplaced, `user_id = ?`, sess.UserID); err != nil {
				return err
			}
		}
		if opt.Pool.IsValid() {
			addr, err := acquireLease(ctx, c, sess.UserID, sess.ID, opt.Pool, opt.Reserved, now)
			if err != nil {
				return err
			}
			sess.TunnelAddr = addr
		}
		var addr string
		if sess.TunnelAddr.IsValid() {
			addr = sess.TunnelAddr.String()
		}
		err = oneRow(c.exec(ctx, `INSERT INTO sessions (`+sessionCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, '')
			ON CONFLICT DO NOTHING`,
			sess.ID, sess.TokenHash, sess.UserID, sess.PublicKey, addr, sess.Source, string(sess.Device), sess.Node,
			sess.CreatedAt.UnixMicro(), sess.LastSeen.UnixMicro(), sess.IdleExpiresAt.UnixMicro(), sess.ExpiresAt.UnixMicro()))
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("session %s: %w", sess.ID, ErrExists)
		}
		return err
	})
	if err != nil {
		return Session{}, nil, fmt.Errorf("store: creating session for %q: %w", sess.UserID, err)
	}
	return sess, ended, nil
}

// endSessions ends the active sessions matching where (a condition with
// '?' placeholders for args) and frees their addresses. It returns them in
// creation order.
func endSessions(ctx context.Context, c conn, now time.Time, reason api.EndReason, where string, args ...any) ([]Session, error) {
	args = append([]any{now.UnixMicro(), string(reason)}, args...)
	ended, err := queryAll(ctx, c, scanSession, `UPDATE sessions SET ended_at = ?, end_reason = ?
		WHERE ended_at IS NULL AND (`+where+`)
		RETURNING `+sessionCols, args...)
	if err != nil {
		return nil, err
	}
	for _, e := range ended {
		if err := releaseLease(ctx, c, e.ID, now); err != nil {
			return nil, err
		}
	}
	sort.Slice(ended, func(i, j int) bool {
		if !ended[i].CreatedAt.Equal(ended[j].CreatedAt) {
			return ended[i].CreatedAt.Before(ended[j].CreatedAt)
		}
		return ended[i].ID < ended[j].ID
	})
	return ended, nil
}

func (s *Store) getSession(ctx context.Context, c conn, col, val string) (Session, error) {
	sess, err := scanSession(c.row(ctx, `SELECT `+sessionCols+` FROM sessions WHERE `+col+` = ?`, val))
	if isNoRows(err) {
		return Session{}, fmt.Errorf("session: %w", ErrNotFound)
	}
	if err != nil {
		return Session{}, fmt.Errorf("store: getting session: %w", err)
	}
	return sess, nil
}

// GetSession returns a session, active or ended, by ID.
func (s *Store) GetSession(ctx context.Context, id string) (Session, error) {
	return s.getSession(ctx, s.reader(), "session_id", id)
}

// SessionByToken returns a session, active or ended, by token hash: an ended
// session tells the heartbeat why it ended.
func (s *Store) SessionByToken(ctx context.Context, tokenHash string) (Session, error) {
	return s.getSession(ctx, s.reader(), "token_hash", tokenHash)
}

// TouchSession records a heartbeat at now: LastSeen becomes now and the idle
// expiry now+idle (never past the absolute expiry; idle <= 0 means none). A
// session found past either expiry is ended (api.EndExpired) instead. An ended
// session is returned unchanged: check Active and EndReason.
func (s *Store) TouchSession(ctx context.Context, id string, now time.Time, idle time.Duration) (Session, error) {
	now = utc(now)
	idleUntil := int64(math.MaxInt64)
	if idle > 0 {
		idleUntil = now.Add(idle).UnixMicro()
	}
	const touch = `UPDATE sessions SET last_seen = ?,
			idle_expires_at = CASE WHEN ? < expires_at THEN ? ELSE expires_at END
		WHERE session_id = ? AND ended_at IS NULL AND idle_expires_at > ? AND expires_at > ?
		RETURNING ` + sessionCols
	args := []any{now.UnixMicro(), idleUntil, idleUntil, id, now.UnixMicro(), now.UnixMicro()}

	// The common case is one statement.
	sess, err := scanSession(s.writer().row(ctx, touch, args...))
	if err == nil {
		return sess, nil
	}
	if !isNoRows(err) {
		return Session{}, fmt.Errorf("store: touching session: %w", err)
	}
	// Unknown, ended, or due: sort it out under the row lock.
	err = s.inTx(ctx, func(c conn) error {
		sess, err = scanSession(c.row(ctx, `SELECT `+sessionCols+` FROM sessions WHERE session_id = ?`+c.forUpdate(), id))
		if isNoRows(err) {
			return fmt.Errorf("session: %w", ErrNotFound)
		}
		if err != nil || !sess.Active() {
			return err
		}
		if !now.Before(sess.IdleExpiresAt) || !now.Before(sess.ExpiresAt) {
			ended, err := endSessions(ctx, c, now, api.EndExpired, `session_id = ?`, id)
			if err == nil && len(ended) == 1 {
				sess = ended[0]
			}
			return err
		}
		sess, err = scanSession(c.row(ctx, touch, args...))
		return err
	})
	if err != nil {
		return Session{}, fmt.Errorf("store: touching session: %w", err)
	}
	return sess, nil
}

// EndSession ends a session and frees its address. Ending an ended session
// changes nothing (the first reason stays) and returns it as stored.
func (s *Store) EndSession(ctx context.Context, id string, reason api.EndReason, now time.Time) (Session, error) {
	if reason == "" {
		return Session{}, fmt.Errorf("%w: empty end reason", ErrInvalid)
	}
	var sess Session
	err := s.inTx(ctx, func(c conn) error {
		ended, err := endSessions(ctx, c, utc(now), reason, `session_id = ?`, id)
		if err != nil {
			return err
		}
		if len(ended) == 1 {
			sess = ended[0]
			return nil
		}
		sess, err = s.getSession(ctx, c, "session_id", id)
		return err
	})
	if err != nil {
		return Session{}, fmt.Errorf("store: ending session: %w", err)
	}
	return sess, nil
}

// EndUserSessions ends every active session of a user and returns them.
func (s *Store) EndUserSessions(ctx context.Context, userID string, reason api.EndReason, now time.Time) ([]Session, error) {
	if reason == "" {
		return nil, fmt.Errorf("%w: empty end reason", ErrInvalid)
	}
	var ended []Session
	err := s.inTx(ctx, func(c conn) error {
		var err error
		ended, err = endSessions(ctx, c, utc(now), reason, `user_id = ?`, userID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: ending sessions of %q: %w", userID, err)
	}
	return ended, nil
}

// ExpireDue ends (api.EndExpired) every active session whose idle or absolute
// expiry is at or before now, frees their addresses and returns them. When
// several nodes run it at once, each session is returned by exactly one.
func (s *Store) ExpireDue(ctx context.Context, now time.Time) ([]Session, error) {
	now = utc(now)
	var ended []Session
	err := s.inTx(ctx, func(c conn) error {
		var err error
		ended, err = endSessions(ctx, c, now, api.EndExpired, `idle_expires_at <= ? OR expires_at <= ?`,
			now.UnixMicro(), now.UnixMicro())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: expiring sessions: %w", err)
	}
	return ended, nil
}

// ListActiveSessions returns every active session, oldest first.
func (s *Store) ListActiveSessions(ctx context.Context) ([]Session, error) {
	ss, err := queryAll(ctx, s.reader(), scanSession, `SELECT `+sessionCols+` FROM sessions
		WHERE ended_at IS NULL ORDER BY created_at, session_id`)
	if err != nil {
		return nil, fmt.Errorf("store: listing sessions: %w", err)
	}
	return ss, nil
}

// ListUserSessions returns the active sessions of a user, oldest first.
func (s *Store) ListUserSessions(ctx context.Context, userID string) ([]Session, error) {
	ss, err := queryAll(ctx, s.reader(), scanSession, `SELECT `+sessionCols+` FROM sessions
		WHERE user_id = ? AND ended_at IS NULL ORDER BY created_at, session_id`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: listing sessions of %q: %w", userID, err)
	}
	return ss, nil
}

// PruneEndedSessions deletes sessions that ended before the given time and
// returns how many it deleted. The audit log keeps the history.
func (s *Store) PruneEndedSessions(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.writer().exec(ctx, `DELETE FROM sessions WHERE ended_at IS NOT NULL AND ended_at < ?`,
		utc(before).UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("store: pruning sessions: %w", err)
	}
	return res.RowsAffected()
}
