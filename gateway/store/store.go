// Package store keeps the gateway's persistent state: accounts, login
// failures, sessions, tunnel address leases, revoked certificates and the
// audit log.
//
// The same schema runs on SQLite (modernc.org/sqlite, pure Go; the default for
// a single gateway) and on PostgreSQL (pgx), which several gateway nodes share.
// Every operation that reads and then writes runs in one transaction that
// serialises against other nodes, so two nodes cannot both hand out an
// address, both lock an account at a different count, or both keep a session
// that should have replaced the other.
//
// All times are UTC with microsecond precision; they are stored as Unix
// microseconds so both backends compare and sort them the same way.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"
)

// Backend names a database engine.
type Backend string

const (
	SQLite   Backend = "sqlite"
	Postgres Backend = "postgres"
)

// Store is the gateway's database. It is safe for concurrent use.
type Store struct {
	backend Backend
	// w runs writes and transactions. On SQLite it holds one connection:
	// SQLite has one writer at a time anyway, and queueing in Go is cheaper
	// than sleeping in the busy handler. r serves plain reads, which WAL
	// lets run beside the writer. On PostgreSQL both are the same pool.
	w, r  *sql.DB
	clock func() time.Time
	// lastSourcePrune is when (Unix µs, callers' clock) ReserveSourceAttempt
	// last deleted ended windows.
	lastSourcePrune atomic.Int64
	// pgDSN is the PostgreSQL URL, for the connections that are not the
	// pool's (LISTEN, advisory locks held across statements).
	pgDSN string
}

// An Option configures Open.
type Option func(*Store)

// WithClock sets the source of the current time used for timestamps the
// store fills in itself (created_at, updated_at, failure times, …). Tests use
// it; operations whose outcome depends on the time take it as an argument.
func WithClock(now func() time.Time) Option {
	return func(s *Store) { s.clock = now }
}

// Open connects to the database named by dsn and applies pending migrations.
//
//	sqlite:/var/lib/svpn/gateway.db   SQLite (WAL, busy timeout, foreign keys)
//	/var/lib/svpn/gateway.db          the same
//	postgres://user@host/db?sslmode=verify-full   PostgreSQL via pgx
//	postgresql://…                    the same
//
// Opening is safe when several gateway nodes start at once: migrations run
// under a lock (an advisory lock on PostgreSQL, the write lock on SQLite).
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	d, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	s := &Store{backend: d.backend, clock: time.Now}
	for _, o := range opts {
		o(s)
	}
	switch d.backend {
	case SQLite:
		err = s.openSQLite(d)
	case Postgres:
		err = s.openPostgres(d)
	}
	if err != nil {
		return nil, err
	}
	if err := s.w.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: connecting to %s: %w", d.redacted(), err)
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) openSQLite(d dsnInfo) error {
	if !d.memory {
		if err := sqliteFilesPrivate(d.conn); err != nil {
			return err
		}
	}
	w, err := sql.Open("sqlite", d.sqliteWriter())
	if err != nil {
		return fmt.Errorf("store: opening %s: %w", d.redacted(), err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	s.w, s.r = w, w
	if d.memory {
		// Every connection to :memory: is a separate database.
		return nil
	}
	r, err := sql.Open("sqlite", d.sqliteReader())
	if err != nil {
		w.Close()
		return fmt.Errorf("store: opening %s: %w", d.redacted(), err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	s.r = r
	return nil
}

func (s *Store) openPostgres(d dsnInfo) error {
	db, err := sql.Open("pgx", d.conn)
	if err != nil {
		return fmt.Errorf("store: opening %s: %w", d.redacted(), err)
	}
	// Bounded: a login storm on every node must not exhaust the server's
	// max_connections; lease allocation is serialised anyway.
	db.SetMaxOpenConns(pgMaxConns)
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s.w, s.r = db, db
	s.pgDSN = d.conn
	return nil
}

// pgMaxConns is each node's PostgreSQL connection limit.
const pgMaxConns = 24

// Close closes the database.
func (s *Store) Close() error {
	var err error
	if s.r != nil && s.r != s.w {
		err = s.r.Close()
	}
	if s.w != nil {
		err = errors.Join(err, s.w.Close())
	}
	return err
}

// Backend reports which database engine the store uses.
func (s *Store) Backend() Backend { return s.backend }

// Ping checks that the database is reachable, for health checks.
func (s *Store) Ping(ctx context.Context) error {
	return s.w.PingContext(ctx)
}

// now is the store's current time, rounded to what the database keeps.
func (s *Store) now() time.Time {
	return s.clock().UTC().Truncate(time.Microsecond)
}
