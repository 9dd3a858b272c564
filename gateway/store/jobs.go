package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"time"
)

// Job names a cluster-wide singleton job: at most one node runs it at a time.
type Job int64

// Advisory lock keys of the singleton jobs ("SVPN" in the high half, after
// lockMigrate and lockLeases).
const (
	JobCRLRefresh  Job = 0x5356504e_00000010
	JobExpirySweep Job = 0x5356504e_00000011
)

// RunExclusive runs fn if no other node is running job, and reports whether
// it ran. On PostgreSQL the exclusion is a session-level
// pg_try_advisory_lock on a connection held for the run: it never waits, and
// it is released when fn returns or, if this node dies, when the server
// closes its connection. On SQLite there is one node, and fn always runs.
func (s *Store) RunExclusive(ctx context.Context, job Job, fn func(ctx context.Context) error) (bool, error) {
	if s.backend != Postgres {
		return true, fn(ctx)
	}
	c, err := s.w.Conn(ctx)
	if err != nil {
		return false, fmt.Errorf("store: job lock: %w", err)
	}
	defer c.Close()
	var got bool
	if err := c.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, int64(job)).Scan(&got); err != nil {
		return false, fmt.Errorf("store: job lock: %w", err)
	}
	if !got {
		return false, nil
	}
	defer func() {
		// A connection whose unlock failed must not go back to the pool
		// still holding the lock.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, err := c.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, int64(job)); err != nil {
			c.Raw(func(any) error { return driver.ErrBadConn }) // drops the connection
		}
	}()
	return true, fn(ctx)
}

// PutCRL stores the DER of the CRL a node fetched from source, for the
// other nodes.
func (s *Store) PutCRL(ctx context.Context, source string, der []byte, now time.Time) error {
	_, err := s.writer().exec(ctx, `INSERT INTO crl_cache (source, der, fetched_at) VALUES (?, ?, ?)
		ON CONFLICT (source) DO UPDATE SET der = excluded.der, fetched_at = excluded.fetched_at`,
		source, der, utc(now).UnixMicro())
	if err != nil {
		return fmt.Errorf("store: storing CRL: %w", err)
	}
	return nil
}

// CRL returns the stored DER of source's CRL and when it was fetched, or
// ErrNotFound.
func (s *Store) CRL(ctx context.Context, source string) ([]byte, time.Time, error) {
	var der []byte
	var at int64
	err := s.reader().row(ctx, `SELECT der, fetched_at FROM crl_cache WHERE source = ?`, source).Scan(&der, &at)
	if isNoRows(err) {
		return nil, time.Time{}, fmt.Errorf("CRL of %s: %w", source, ErrNotFound)
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("store: reading CRL: %w", err)
	}
	return der, microTime(at), nil
}
