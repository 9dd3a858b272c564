package store

import (
	"fmt"
	"net/url"
	"strings"
)

// dsnInfo is a parsed data source name.
type dsnInfo struct {
	backend Backend
	conn    string // SQLite file path or PostgreSQL URL
	memory  bool   // SQLite :memory:
}

func parseDSN(dsn string) (dsnInfo, error) {
	switch {
	case dsn == "":
		return dsnInfo{}, fmt.Errorf("%w: empty database name", ErrInvalid)
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		if _, err := url.Parse(dsn); err != nil {
			return dsnInfo{}, fmt.Errorf("%w: PostgreSQL URL: %v", ErrInvalid, err)
		}
		return dsnInfo{backend: Postgres, conn: dsn}, nil
	}
	path, ok := strings.CutPrefix(dsn, "sqlite:")
	if ok {
		// sqlite:///abs/path is the URL spelling of sqlite:/abs/path.
		if p, ok := strings.CutPrefix(path, "//"); ok {
			path = p
		}
	} else if i := strings.Index(dsn, "://"); i > 0 && !strings.ContainsAny(dsn[:i], `/\`) {
		return dsnInfo{}, fmt.Errorf("%w: unsupported database scheme %q", ErrInvalid, dsn[:i])
	}
	switch {
	case path == "":
		return dsnInfo{}, fmt.Errorf("%w: empty SQLite path", ErrInvalid)
	case strings.Contains(path, "?"):
		// The driver reads options after '?'; ours must be the only ones.
		return dsnInfo{}, fmt.Errorf("%w: SQLite path must not contain '?'", ErrInvalid)
	case strings.HasPrefix(path, "file:"):
		return dsnInfo{}, fmt.Errorf("%w: give SQLite a plain path, not a file: URI", ErrInvalid)
	}
	return dsnInfo{backend: SQLite, conn: path, memory: path == ":memory:"}, nil
}

// sqliteWriter is the DSN of the writing connection. busy_timeout comes first
// (the driver applies it first) so that switching to WAL waits for another
// process instead of failing; BEGIN IMMEDIATE takes the write lock at the
// start of a transaction, so a transaction never fails half-way because it
// could not upgrade a read lock.
func (d dsnInfo) sqliteWriter() string {
	return d.conn + "?_busy_timeout=10000&_journal_mode=WAL&_synchronous=NORMAL&_foreign_keys=1&_txlock=immediate"
}

// sqliteReader is the DSN of the reading connections.
func (d dsnInfo) sqliteReader() string {
	return d.conn + "?_busy_timeout=10000&_foreign_keys=1&_query_only=1"
}

// redacted names the database for error messages, without a password.
func (d dsnInfo) redacted() string {
	if d.backend == Postgres {
		if u, err := url.Parse(d.conn); err == nil {
			return u.Redacted()
		}
		return "PostgreSQL database"
	}
	return d.conn
}
