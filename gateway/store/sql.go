package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn runs queries written with '?' placeholders on either backend.
type conn struct {
	q  querier
	pg bool
}

// rebind turns '?' placeholders into PostgreSQL's $1, $2, …. Queries in this
// package never contain '?' inside literals.
func (c conn) rebind(query string) string {
	if !c.pg || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (c conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return c.q.ExecContext(ctx, c.rebind(query), args...)
}

func (c conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.q.QueryContext(ctx, c.rebind(query), args...)
}

func (c conn) row(ctx context.Context, query string, args ...any) *sql.Row {
	return c.q.QueryRowContext(ctx, c.rebind(query), args...)
}

// forUpdate is the row-locking suffix of a SELECT inside a transaction. SQLite
// needs none: its transactions begin IMMEDIATE and hold the database's write
// lock.
func (c conn) forUpdate() string {
	if c.pg {
		return " FOR UPDATE"
	}
	return ""
}

// lock takes a transaction-scoped advisory lock on PostgreSQL; on SQLite the
// write lock already serialises transactions.
func (c conn) lock(ctx context.Context, key int64) error {
	if !c.pg {
		return nil
	}
	_, err := c.exec(ctx, "SELECT pg_advisory_xact_lock(?)", key)
	return err
}

// Advisory lock keys ("SVPN" in the high half).
const (
	lockMigrate int64 = 0x5356504e_00000001
	lockLeases  int64 = 0x5356504e_00000002
	lockMoves   int64 = 0x5356504e_00000006 // certificate-move slot numbers (certmove.go)
	lockMobile  int64 = 0x5356504e_00000007 // counting a node's QR logins (mobileid.go)
)

// reader is a conn for plain reads outside a transaction.
func (s *Store) reader() conn { return conn{q: s.r, pg: s.backend == Postgres} }

// writer is a conn for single-statement writes outside a transaction.
func (s *Store) writer() conn { return conn{q: s.w, pg: s.backend == Postgres} }

// maxTxAttempts bounds retries of transactions PostgreSQL aborted to break a
// deadlock or a serialisation conflict between nodes.
const maxTxAttempts = 4

// inTx runs fn in a transaction and commits it when fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(c conn) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		err = s.tryTx(ctx, fn)
		if attempt == maxTxAttempts || !retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt) * 5 * time.Millisecond):
		}
	}
}

func (s *Store) tryTx(ctx context.Context, fn func(c conn) error) (err error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	if err := fn(conn{q: tx, pg: s.backend == Postgres}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// retryable reports whether PostgreSQL aborted a transaction that may
// succeed when run again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40001" || pe.Code == "40P01" // serialization_failure, deadlock_detected
	}
	return false
}

// oneRow checks that a write changed exactly one row, or returns ErrNotFound.
func oneRow(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// dbTime converts a time for storage: NULL for the zero time.
func dbTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// goTime converts a stored time back; NULL is the zero time.
func goTime(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64).UTC()
}

// microTime converts a stored non-NULL time back.
func microTime(v int64) time.Time { return time.UnixMicro(v).UTC() }

// utc normalises a caller's time to what the database keeps.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

// scanner is *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// queryAll runs a query and scans every row with scan.
func queryAll[T any](ctx context.Context, c conn, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := c.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// NewID returns a random identifier (128 bits, hex) for sessions and the like.
func NewID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}
