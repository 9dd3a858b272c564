package store

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
)

func TestParseDSN(t *testing.T) {
	tests := []struct {
		dsn     string
		backend Backend
		conn    string
		memory  bool
		wantErr bool
	}{
		{dsn: "sqlite:/var/lib/svpn/gateway.db", backend: SQLite, conn: "/var/lib/svpn/gateway.db"},
		{dsn: "sqlite:///var/lib/svpn/gateway.db", backend: SQLite, conn: "/var/lib/svpn/gateway.db"},
		{dsn: "sqlite:gateway.db", backend: SQLite, conn: "gateway.db"},
		{dsn: "/var/lib/svpn/gateway.db", backend: SQLite, conn: "/var/lib/svpn/gateway.db"},
		{dsn: `C:\ProgramData\SVPN\gateway.db`, backend: SQLite, conn: `C:\ProgramData\SVPN\gateway.db`},
		{dsn: "gateway.db", backend: SQLite, conn: "gateway.db"},
		{dsn: "sqlite::memory:", backend: SQLite, conn: ":memory:", memory: true},
		{dsn: "postgres://svpn:secret@db/svpn?sslmode=verify-full", backend: Postgres, conn: "postgres://svpn:secret@db/svpn?sslmode=verify-full"},
		{dsn: "postgresql:///svpn?host=/run/postgresql", backend: Postgres, conn: "postgresql:///svpn?host=/run/postgresql"},
		{dsn: "", wantErr: true},
		{dsn: "sqlite:", wantErr: true},
		{dsn: "mysql://db/svpn", wantErr: true},
		{dsn: "sqlite:/tmp/x.db?_pragma=foo", wantErr: true},
		{dsn: "file:/tmp/x.db", wantErr: true},
		{dsn: "postgres://[::1", wantErr: true},
	}
	for _, tt := range tests {
		d, err := parseDSN(tt.dsn)
		if tt.wantErr {
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("parseDSN(%q) error = %v, want ErrInvalid", tt.dsn, err)
			}
			continue
		}
		if err != nil || d.backend != tt.backend || d.conn != tt.conn || d.memory != tt.memory {
			t.Errorf("parseDSN(%q) = %+v, %v", tt.dsn, d, err)
		}
	}
	d, _ := parseDSN("postgres://svpn:secret@db/svpn")
	if got := d.redacted(); got != "postgres://svpn:xxxxx@db/svpn" {
		t.Errorf("redacted = %q", got)
	}
}

func TestMigrationsMatch(t *testing.T) {
	names := func(b Backend) []int {
		ms, err := migrations(b)
		if err != nil {
			t.Fatal(err)
		}
		var vs []int
		for _, m := range ms {
			vs = append(vs, m.version)
		}
		return vs
	}
	if s, p := names(SQLite), names(Postgres); !reflect.DeepEqual(s, p) || len(s) == 0 {
		t.Errorf("migration versions differ: sqlite %v, postgres %v", s, p)
	}
}

func TestOpenMemory(t *testing.T) {
	s, err := Open(context.Background(), "sqlite::memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if err := s.AddUser(ctx, User{ID: "hong"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetUser(ctx, "hong"); err != nil {
		t.Errorf("GetUser on :memory: = %v (reads must see writes)", err)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := Open(ctx, "sqlite:"+t.TempDir()+"/no/such/dir/db"); err == nil {
		t.Error("Open in a missing directory succeeded")
	}
	if _, err := Open(ctx, "mysql://x"); !errors.Is(err, ErrInvalid) {
		t.Errorf("Open(mysql) = %v, want ErrInvalid", err)
	}
}

func testMigrations(t *testing.T, b *backend) {
	ctx := context.Background()
	dsn := b.newDSN(t)

	// Several nodes starting at once on an empty database.
	const nodes = 4
	var wg sync.WaitGroup
	errs := make([]error, nodes)
	for i := range nodes {
		wg.Go(func() {
			s, err := Open(ctx, dsn)
			if err == nil {
				s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d: Open: %v", i, err)
		}
	}

	s := b.openDSN(t, dsn)
	ms, _ := migrations(s.Backend())
	if v, err := s.SchemaVersion(ctx); err != nil || v != len(ms) {
		t.Errorf("SchemaVersion = %d, %v; want %d", v, err, len(ms))
	}
	if s.Backend() != Backend(b.name) {
		t.Errorf("Backend = %q, want %q", s.Backend(), b.name)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}

	// A database migrated by a newer gateway is refused.
	if _, err := s.writer().exec(ctx, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)", len(ms)+1); err != nil {
		t.Fatal(err)
	}
	if s2, err := Open(ctx, dsn); !errors.Is(err, ErrSchemaTooNew) {
		if s2 != nil {
			s2.Close()
		}
		t.Errorf("Open(newer schema) = %v, want ErrSchemaTooNew", err)
	}
}
