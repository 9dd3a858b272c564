package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opensvpn/svpn/internal/pgserver"
)

// The whole behavioural suite runs once per backend, through the same
// functions; only how a fresh empty database is made differs.

func TestSQLite(t *testing.T)   { runSuite(t, sqliteBackend) }
func TestPostgres(t *testing.T) { runSuite(t, postgresBackend(t)) }

func runSuite(t *testing.T, b *backend) {
	for _, tc := range []struct {
		name string
		f    func(*testing.T, *backend)
	}{
		{"Migrations", testMigrations},
		{"Users", testUsers},
		{"UnknownUser", testUnknownUser},
		{"Failures", testFailures},
		{"FailuresConcurrent", testFailuresConcurrent},
		{"SourceFailures", testSourceFailures},
		{"ReserveAttempt", testReserveAttempt},
		{"ReserveAttemptBurst", testReserveAttemptBurst},
		{"ReserveAttemptRightAmongWrong", testReserveAttemptRightAmongWrong},
		{"AttemptInFlight", testAttemptInFlight},
		{"SourceAttempts", testSourceAttempts},
		{"SourceAttemptsConcurrent", testSourceAttemptsConcurrent},
		{"IdentityNumber", testIdentityNumber},
		{"MigrateToV3", testMigrateToV3},
		{"Sessions", testSessions},
		{"SessionTouch", testSessionTouch},
		{"SessionExpiry", testSessionExpiry},
		{"SessionsSingleConcurrent", testSessionsSingleConcurrent},
		{"Leases", testLeases},
		{"LeaseSticky", testLeaseSticky},
		{"LeaseGaps", testLeaseGaps},
		{"LeasePools", testLeasePools},
		{"LeaseWithSession", testLeaseWithSession},
		{"LeasesConcurrent", testLeasesConcurrent},
		{"Revocations", testRevocations},
		{"Audit", testAudit},
		{"Secrets", testSecrets},
		{"UseChallenge", testUseChallenge},
		{"Nodes", testNodes},
		{"RunExclusive", testRunExclusive},
		{"CRLCache", testCRLCache},
		{"ListenSessions", testListenSessions},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.f(t, b)
		})
	}
}

// backend makes fresh databases of one kind.
type backend struct {
	name string
	// newDSN returns the DSN of a new, empty database for one test.
	newDSN func(tb testing.TB) string
}

// open opens a new empty database, closed when the test ends.
func (b *backend) open(tb testing.TB, opts ...Option) *Store {
	tb.Helper()
	return b.openDSN(tb, b.newDSN(tb), opts...)
}

// openDSN opens dsn again: a second gateway node on the same database.
func (b *backend) openDSN(tb testing.TB, dsn string, opts ...Option) *Store {
	tb.Helper()
	s, err := Open(context.Background(), dsn, opts...)
	if err != nil {
		tb.Fatalf("Open(%s): %v", dsn, err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

var sqliteBackend = &backend{
	name: "sqlite",
	newDSN: func(tb testing.TB) string {
		return "sqlite:" + filepath.Join(tb.TempDir(), "gateway.db")
	},
}

// pgServer is a PostgreSQL server for the tests: a throwaway one this
// process started (srv, in dir), or one named by SVPN_TEST_POSTGRES_DSN.
type pgServer struct {
	srv   *pgserver.Server
	dir   string
	base  string  // DSN of the server's postgres database
	admin *sql.DB // creates the per-test schemas
	next  atomic.Int64
}

// The server is shared by every test of this run: starting one takes a
// second or two, a schema per test takes milliseconds. TestMain stops it.
var (
	pgOnce sync.Once
	pg     *pgServer
	pgSkip string
	pgErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if pg != nil {
		pg.stop()
	}
	os.Exit(code)
}

func postgresBackend(tb testing.TB) *backend {
	tb.Helper()
	pgOnce.Do(func() {
		if dsn := os.Getenv("SVPN_TEST_POSTGRES_DSN"); dsn != "" {
			pg = &pgServer{base: dsn}
			pg.admin, pgErr = sql.Open("pgx", dsn)
			return
		}
		pg, pgSkip, pgErr = startPostgres()
	})
	switch {
	case pgErr != nil:
		tb.Fatalf("starting PostgreSQL: %v", pgErr)
	case pgSkip != "":
		tb.Skip(pgSkip)
	}
	return &backend{name: "postgres", newDSN: pg.newDSN}
}

// newDSN creates an empty schema and returns a DSN whose search_path is it.
func (s *pgServer) newDSN(tb testing.TB) string {
	tb.Helper()
	name := fmt.Sprintf("svpn_test_%d_%d", os.Getpid(), s.next.Add(1))
	ctx := context.Background()
	if _, err := s.admin.ExecContext(ctx, "CREATE SCHEMA "+name); err != nil {
		tb.Fatalf("creating schema: %v", err)
	}
	if s.srv == nil { // someone else's server: leave it clean
		tb.Cleanup(func() { s.admin.ExecContext(ctx, "DROP SCHEMA "+name+" CASCADE") })
	}
	sep := "?"
	if strings.Contains(s.base, "?") {
		sep = "&"
	}
	return s.base + sep + "search_path=" + name
}

// clock is a settable time source for WithClock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}
