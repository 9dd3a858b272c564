package store

import (
	"context"
	"fmt"
	"math"
	"time"
)

// RecordFailure counts a failed login against the account and against the
// source address, in one transaction. When the account's consecutive
// failures reach maxFailures it is locked (LockReasonFailures) until an
// administrator unlocks it; maxFailures <= 0 never locks. It returns the new
// count and whether the account is now locked.
//
// An unknown userID still counts against the source, so guessing account
// names costs an address as much as guessing passwords; the error is then
// ErrNotFound.
func (s *Store) RecordFailure(ctx context.Context, userID, source string, maxFailures int) (failures int, locked bool, err error) {
	threshold := int64(maxFailures)
	if maxFailures <= 0 || maxFailures > math.MaxInt32 {
		threshold = math.MaxInt32
	}
	now := s.now().UnixMicro()
	unknown := false
	err = s.inTx(ctx, func(c conn) error {
		if source != "" {
			if _, err := c.exec(ctx, `INSERT INTO source_failures (source, user_id, at) VALUES (?, ?, ?)`,
				source, userID, now); err != nil {
				return err
			}
		}
		// SET expressions see the row as it was before the update, on
		// both backends; the row lock makes the increment atomic.
		err := c.row(ctx, `UPDATE users SET
				failed_attempts = failed_attempts + 1,
				locked      = CASE WHEN failed_attempts + 1 >= ? THEN TRUE ELSE locked END,
				locked_at   = CASE WHEN NOT locked AND failed_attempts + 1 >= ? THEN ? ELSE locked_at END,
				lock_reason = CASE WHEN NOT locked AND failed_attempts + 1 >= ? THEN ? ELSE lock_reason END,
				updated_at  = ?
			WHERE user_id = ?
			RETURNING failed_attempts, locked`,
			threshold, threshold, now, threshold, LockReasonFailures, now, userID).Scan(&failures, &locked)
		if isNoRows(err) {
			unknown = true
			return nil // keep the source record
		}
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("store: recording failure of user %q: %w", userID, err)
	}
	if unknown {
		return 0, false, fmt.Errorf("user %q: %w", userID, ErrNotFound)
	}
	return failures, locked, nil
}

// ResetFailures clears the account's consecutive failure count after a
// successful login. It does not unlock a locked account.
func (s *Store) ResetFailures(ctx context.Context, userID string) error {
	return s.updateUser(ctx, "resetting failures", userID, "failed_attempts = 0")
}

// RecordSourceFailure counts a failure against a source address alone, for
// refusals that name no account (a malformed or replayed request).
func (s *Store) RecordSourceFailure(ctx context.Context, source string) error {
	if source == "" {
		return fmt.Errorf("%w: empty source", ErrInvalid)
	}
	_, err := s.writer().exec(ctx, `INSERT INTO source_failures (source, user_id, at) VALUES (?, '', ?)`,
		source, s.now().UnixMicro())
	if err != nil {
		return fmt.Errorf("store: recording failure of %s: %w", source, err)
	}
	return nil
}

// SourceFailures counts the failures recorded for source at or after since,
// across all accounts and all gateway nodes.
func (s *Store) SourceFailures(ctx context.Context, source string, since time.Time) (int, error) {
	var n int
	err := s.reader().row(ctx, `SELECT COUNT(*) FROM source_failures WHERE source = ? AND at >= ?`,
		source, utc(since).UnixMicro()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: counting failures of %s: %w", source, err)
	}
	return n, nil
}

// PruneSourceFailures deletes source failure records older than before,
// which no rate-limit window still looks at, and the per-source windows of
// ReserveSourceAttempt that ended before it, and returns how many rows it
// deleted.
func (s *Store) PruneSourceFailures(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.inTx(ctx, func(c conn) error {
		n = 0
		for _, q := range []string{
			`DELETE FROM source_failures WHERE at < ?`,
			`DELETE FROM source_attempts WHERE window_end < ?`,
		} {
			res, err := c.exec(ctx, q, utc(before).UnixMicro())
			if err != nil {
				return err
			}
			k, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += k
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: pruning source failures: %w", err)
	}
	return n, nil
}
