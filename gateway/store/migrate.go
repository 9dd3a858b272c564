package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// migrationFiles holds the schema history, one directory per backend with the
// same numbered files: NNNN_description.sql. A file, once shipped, never
// changes; a schema change is a new file in both directories.
//
//go:embed migrations
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the backend's migrations in order, checking that they
// are numbered 1, 2, 3, … without gaps.
func migrations(b Backend) ([]migration, error) {
	dir := path.Join("migrations", string(b))
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("store: reading migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 {
			return nil, fmt.Errorf("store: migration %s: name must start with a version number", name)
		}
		b, err := fs.ReadFile(migrationFiles, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("store: reading migration %s: %w", name, err)
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("store: migration %s: expected version %d", m.name, i+1)
		}
	}
	return ms, nil
}

// migrate brings the schema up to date in one transaction. DDL is
// transactional on both backends, so a failed migration leaves the schema as
// it was; the lock makes a second node starting at the same time wait and
// then find nothing to do.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrations(s.backend)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, func(c conn) error {
		if err := c.lock(ctx, lockMigrate); err != nil {
			return err
		}
		if _, err := c.exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			applied_at BIGINT  NOT NULL
		)`); err != nil {
			return err
		}
		var cur int
		if err := c.row(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&cur); err != nil {
			return err
		}
		if cur > len(ms) {
			return fmt.Errorf("%w: version %d, this program knows up to %d", ErrSchemaTooNew, cur, len(ms))
		}
		for _, m := range ms[cur:] {
			if _, err := c.exec(ctx, m.sql); err != nil {
				return fmt.Errorf("applying %s: %w", m.name, err)
			}
			if _, err := c.exec(ctx, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
				m.version, s.now().UnixMicro()); err != nil {
				return fmt.Errorf("recording %s: %w", m.name, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: migrating: %w", err)
	}
	return nil
}

// SchemaVersion reports the version of the newest migration applied.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	if err := s.reader().row(ctx, "SELECT MAX(version) FROM schema_migrations").Scan(&v); err != nil {
		return 0, fmt.Errorf("store: schema version: %w", err)
	}
	return int(v.Int64), nil
}
