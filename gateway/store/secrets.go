package store

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"
)

// Secret returns the cluster-wide secret called name, creating it with size
// random bytes if no node has yet. Every node gets the same value.
func (s *Store) Secret(ctx context.Context, name string, size int) ([]byte, error) {
	fresh := make([]byte, size)
	rand.Read(fresh) // never fails (crypto/rand)
	var value []byte
	err := s.inTx(ctx, func(c conn) error {
		if _, err := c.exec(ctx, `INSERT INTO secrets (name, value, created_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO NOTHING`, name, fresh, s.now().UnixMicro()); err != nil {
			return err
		}
		return c.row(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&value)
	})
	if err != nil {
		return nil, fmt.Errorf("store: secret %s: %w", name, err)
	}
	if len(value) != size {
		return nil, fmt.Errorf("store: secret %s is %d bytes, want %d", name, len(value), size)
	}
	return value, nil
}

// UseChallenge records a login challenge as spent and reports whether it was
// fresh: false means it was used before (a replay). Expired records are
// pruned on the way.
func (s *Store) UseChallenge(ctx context.Context, id string, expires time.Time) (fresh bool, err error) {
	now := s.now()
	err = s.inTx(ctx, func(c conn) error {
		if _, err := c.exec(ctx, `DELETE FROM used_challenges WHERE expires_at < ?`, now.UnixMicro()); err != nil {
			return err
		}
		res, err := c.exec(ctx, `INSERT INTO used_challenges (id, expires_at) VALUES (?, ?)
			ON CONFLICT (id) DO NOTHING`, id, utc(expires).UnixMicro())
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		fresh = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: using challenge: %w", err)
	}
	return fresh, nil
}
