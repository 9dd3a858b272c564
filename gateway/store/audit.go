package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// AuditEvent is one entry of the audit log: a login, a refusal, an
// administrator action. Detail is a JSON object with whatever the event
// needs; it must never hold a secret.
type AuditEvent struct {
	ID     int64 // assigned by the store
	Time   time.Time
	Event  string // e.g. "login", "login_refused", "logout", "user_locked"
	UserID string
	Source string
	Node   string
	Code   string // api.Code of a refusal, "" for success
	Detail json.RawMessage
}

// AuditFilter selects audit entries; zero fields do not filter.
type AuditFilter struct {
	UserID string
	Event  string
	Since  time.Time
	Limit  int // default DefaultAuditLimit, at most MaxAuditLimit
}

const (
	DefaultAuditLimit = 100
	MaxAuditLimit     = 10000
)

// AppendAudit adds an entry. Time defaults to now.
func (s *Store) AppendAudit(ctx context.Context, e AuditEvent) error {
	if e.Event == "" {
		return fmt.Errorf("%w: audit event without a name", ErrInvalid)
	}
	if len(e.Detail) > 0 && !json.Valid(e.Detail) {
		return fmt.Errorf("%w: audit detail is not JSON", ErrInvalid)
	}
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	_, err := s.writer().exec(ctx, `INSERT INTO audit_log (at, event, user_id, source, node, code, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		utc(e.Time).UnixMicro(), e.Event, e.UserID, e.Source, e.Node, e.Code, string(e.Detail))
	if err != nil {
		return fmt.Errorf("store: appending audit event %s: %w", e.Event, err)
	}
	return nil
}

// ListAudit returns matching entries, newest first.
func (s *Store) ListAudit(ctx context.Context, f AuditFilter) ([]AuditEvent, error) {
	var where []string
	var args []any
	if f.UserID != "" {
		where, args = append(where, "user_id = ?"), append(args, f.UserID)
	}
	if f.Event != "" {
		where, args = append(where, "event = ?"), append(args, f.Event)
	}
	if !f.Since.IsZero() {
		where, args = append(where, "at >= ?"), append(args, utc(f.Since).UnixMicro())
	}
	q := `SELECT id, at, event, user_id, source, node, code, detail FROM audit_log`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultAuditLimit
	}
	limit = min(limit, MaxAuditLimit)
	q += " ORDER BY at DESC, id DESC LIMIT ?"
	args = append(args, limit)
	es, err := queryAll(ctx, s.reader(), scanAudit, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: listing audit log: %w", err)
	}
	return es, nil
}

func scanAudit(r scanner) (AuditEvent, error) {
	var e AuditEvent
	var at int64
	var detail string
	if err := r.Scan(&e.ID, &at, &e.Event, &e.UserID, &e.Source, &e.Node, &e.Code, &detail); err != nil {
		return AuditEvent{}, err
	}
	e.Time = microTime(at)
	if detail != "" {
		e.Detail = json.RawMessage(detail)
	}
	return e, nil
}

// PruneAudit deletes entries older than before, for retention limits, and
// returns how many it deleted.
func (s *Store) PruneAudit(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.writer().exec(ctx, `DELETE FROM audit_log WHERE at < ?`, utc(before).UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("store: pruning audit log: %w", err)
	}
	return res.RowsAffected()
}
