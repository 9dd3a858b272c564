// Package pgtest gives tests PostgreSQL databases: a fresh database on a
// server shared by the test binary, or a private server a test may restart.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/opensvpn/svpn/internal/pgserver"
)

var (
	once   sync.Once
	shared *pgserver.Server
	base   string
	admin  *sql.DB
	err    error
	next   atomic.Int64
)

// Stop stops the shared server; call it from TestMain after m.Run.
func Stop() {
	if admin != nil {
		admin.Close()
	}
	if shared != nil {
		shared.Stop()
		os.RemoveAll(shared.Dir())
	}
}

// NewDatabase returns the DSN of a new, empty database on the shared server
// (or on $SVPN_TEST_POSTGRES_DSN's). A database rather than a schema, so
// LISTEN/NOTIFY channels of parallel tests do not meet. It skips the test
// when there is no PostgreSQL.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	once.Do(func() {
		if dsn := os.Getenv("SVPN_TEST_POSTGRES_DSN"); dsn != "" {
			base = dsn
		} else {
			var dir string
			if dir, err = os.MkdirTemp("", "svpn-pg-"); err != nil {
				return
			}
			if shared, err = pgserver.Start(pgserver.Options{Dir: dir}); err != nil {
				os.RemoveAll(dir)
				return
			}
			base = shared.DSN()
		}
		admin, err = sql.Open("pgx", base)
	})
	skipOrFail(tb, err)
	name := fmt.Sprintf("svpn_test_%d_%d", os.Getpid(), next.Add(1))
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("creating database: %v", err)
	}
	tb.Cleanup(func() { admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	return withDatabase(base, name)
}

// Private starts a server of the test's own (one it may stop and restart),
// stopped when the test ends.
func Private(tb testing.TB, o pgserver.Options) *pgserver.Server {
	tb.Helper()
	if o.Dir == "" {
		dir, err := os.MkdirTemp("", "svpn-pg-")
		if err != nil {
			tb.Fatal(err)
		}
		o.Dir = dir
		tb.Cleanup(func() { os.RemoveAll(dir) })
	}
	srv, err := pgserver.Start(o)
	skipOrFail(tb, err)
	tb.Cleanup(srv.Stop)
	return srv
}

func skipOrFail(tb testing.TB, err error) {
	tb.Helper()
	switch {
	case errors.Is(err, pgserver.ErrNoBinaries):
		tb.Skip(err.Error())
	case err != nil && strings.Contains(err.Error(), "only started on Linux"):
		tb.Skip("throwaway PostgreSQL server is only started on Linux; set SVPN_TEST_POSTGRES_DSN")
	case err != nil:
		tb.Fatalf("starting PostgreSQL: %v", err)
	}
}

// withDatabase replaces the database of a postgres:// DSN.
func withDatabase(dsn, db string) string {
	rest, query, _ := strings.Cut(dsn, "?")
	i := strings.Index(strings.TrimPrefix(rest, "postgres://"), "/")
	if i >= 0 {
		rest = rest[:len("postgres://")+i]
	}
	if query != "" {
		return rest + "/" + db + "?" + query
	}
	return rest + "/" + db
}
