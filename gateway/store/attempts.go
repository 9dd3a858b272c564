package store

import (
	"context"
	"fmt"
	"math"
	"time"
)

// A login reserves its password attempt before the password is hashed, so a
// burst of simultaneous guesses cannot all be evaluated against a snapshot
// of the failure count:
//
//	attempt, ok, err := st.ReserveAttempt(ctx, id, max)   // before hashing
//	if !ok { refuse: locked, or max attempts already in flight or failed }
//	right password        → st.SucceedAttempt(ctx, id)
//	wrong password        → st.FailAttempt(ctx, id, max)  // may lock
//	never evaluated       → st.ReleaseAttempt(ctx, id)    // cancelled, internal error
//
// failed_attempts counts settled failures, pending_attempts the attempts
// being evaluated; a reservation is granted only while their sum is below
// maxFailures. So at most maxFailures passwords are evaluated between two
// successful logins, whatever the concurrency and the number of nodes, none
// once the account is locked, and the lock comes at exactly maxFailures
// wrong passwords (an attempt in flight does not lock, a right one in flight
// does not count). A reservation whose node died (pending_since older than
// pendingStale) no longer holds a slot.

// pendingStale is how long a reservation holds its slot: a password
// evaluation takes milliseconds, a request times out in seconds.
const pendingStale = time.Minute

// failureThreshold maps maxFailures <= 0 (unlimited) to a count that is never
// reached.
func failureThreshold(maxFailures int) int64 {
	if maxFailures <= 0 || maxFailures > math.MaxInt32 {
		return math.MaxInt32
	}
	return int64(maxFailures)
}

// livePending is pending_attempts unless they are stale at the cutoff
// given as the first '?'.
const livePending = `(CASE WHEN pending_since < ? THEN 0 ELSE pending_attempts END)`

// ReserveAttempt reserves one password attempt for the account, before the
// password is evaluated, in one conditional UPDATE: granted only when the
// account is not locked and fewer than maxFailures attempts have failed or
// are in flight. attempt is failures plus attempts in flight, this one
// included. ok is false, and nothing changes, when the account is locked or
// at the limit; attempt is then the current sum. maxFailures <= 0 means
// unlimited. An unknown userID gives ErrNotFound.
func (s *Store) ReserveAttempt(ctx context.Context, userID string, maxFailures int) (attempt int, ok bool, err error) {
	now := s.now()
	stale := now.Add(-pendingStale).UnixMicro()
	err = s.writer().row(ctx, `UPDATE users SET
			pending_attempts = `+livePending+` + 1,
			pending_since = ?, updated_at = ?
		WHERE user_id = ? AND NOT locked AND failed_attempts + `+livePending+` < ?
		RETURNING failed_attempts + pending_attempts`,
		stale, now.UnixMicro(), now.UnixMicro(), userID, stale, failureThreshold(maxFailures)).Scan(&attempt)
	if err == nil {
		return attempt, true, nil
	}
	if !isNoRows(err) {
		return 0, false, fmt.Errorf("store: reserving attempt of user %q: %w", userID, err)
	}
	// Refused or unknown: which one is only informative, so a plain read
	// after the atomic decision is enough.
	err = s.writer().row(ctx, `SELECT failed_attempts + `+livePending+` FROM users WHERE user_id = ?`, stale, userID).Scan(&attempt)
	if isNoRows(err) {
		return 0, false, fmt.Errorf("user %q: %w", userID, ErrNotFound)
	}
	if err != nil {
		return 0, false, fmt.Errorf("store: reserving attempt of user %q: %w", userID, err)
	}
	return attempt, false, nil
}

// FailAttempt settles an attempt reserved with ReserveAttempt whose password
// was wrong: it leaves the attempts in flight and joins the failures; when
// they reach maxFailures the account is locked (LockReasonFailures, LockedAt
// now) until an administrator unlocks it. Without a reservation in flight it
// changes nothing. It returns the failures and whether the account is
// locked. maxFailures <= 0 never locks.
func (s *Store) FailAttempt(ctx context.Context, userID string, maxFailures int) (failures int, locked bool, err error) {
	threshold := failureThreshold(maxFailures)
	now := s.now().UnixMicro()
	// SET expressions see the row as it was before the update.
	const next = `(failed_attempts + CASE WHEN pending_attempts > 0 THEN 1 ELSE 0 END)`
	err = s.writer().row(ctx, `UPDATE users SET
			failed_attempts  = `+next+`,
			pending_attempts = CASE WHEN pending_attempts > 0 THEN pending_attempts - 1 ELSE 0 END,
			locked      = CASE WHEN `+next+` >= ? THEN TRUE ELSE locked END,
			locked_at   = CASE WHEN NOT locked AND `+next+` >= ? THEN ? ELSE locked_at END,
			lock_reason = CASE WHEN NOT locked AND `+next+` >= ? THEN ? ELSE lock_reason END,
			updated_at  = ?
		WHERE user_id = ?
		RETURNING failed_attempts, locked`,
		threshold, threshold, now, threshold, LockReasonFailures, now, userID).Scan(&failures, &locked)
	if isNoRows(err) {
		return 0, false, fmt.Errorf("user %q: %w", userID, ErrNotFound)
	}
	if err != nil {
		return 0, false, fmt.Errorf("store: recording failed attempt of user %q: %w", userID, err)
	}
	return failures, locked, nil
}

// SucceedAttempt settles a reserved attempt whose password was right: the
// consecutive failures restart from zero. It does not unlock an account.
func (s *Store) SucceedAttempt(ctx context.Context, userID string) error {
	return s.updateUser(ctx, "settling attempt", userID,
		"failed_attempts = 0, pending_attempts = CASE WHEN pending_attempts > 0 THEN pending_attempts - 1 ELSE 0 END")
}

// ReleaseAttempt gives back an attempt reserved with ReserveAttempt whose
// password was never evaluated (the request was cancelled, an internal error
// intervened): the attempts in flight go down by one, never below zero.
func (s *Store) ReleaseAttempt(ctx context.Context, userID string) error {
	return s.updateUser(ctx, "releasing attempt", userID,
		"pending_attempts = CASE WHEN pending_attempts > 0 THEN pending_attempts - 1 ELSE 0 END")
}

// sourcePruneEvery is how often ReserveSourceAttempt deletes the rows of
// windows that have ended, so the table stays small even when nothing calls
// PruneSourceFailures.
const sourcePruneEvery = time.Minute

// ReserveSourceAttempt reserves one login attempt for a source address in a
// fixed rate-limit window, in one atomic upsert: the first attempt from a
// source, or the first after its window ended, starts a new window of the
// given length at now; otherwise the count goes up only while it is below
// limit. attempts is the count including this one. When the limit is
// reached, ok is false, nothing changes, attempts is the current count and
// retryAfter the time until the window ends. limit <= 0 means unlimited.
//
// A login that succeeds gives its attempt back with ReleaseSourceAttempt,
// so the limit counts failures and attempts in flight.
func (s *Store) ReserveSourceAttempt(ctx context.Context, source string, window time.Duration, limit int, now time.Time) (attempts int, ok bool, retryAfter time.Duration, err error) {
	switch {
	case source == "":
		return 0, false, 0, fmt.Errorf("%w: empty source", ErrInvalid)
	case window <= 0:
		return 0, false, 0, fmt.Errorf("%w: source window %v", ErrInvalid, window)
	}
	now = utc(now)
	s.pruneSourceAttempts(ctx, now)
	at, end := now.UnixMicro(), now.Add(window).UnixMicro()
	// The WHERE of DO UPDATE sees the existing row, locked: on PostgreSQL
	// a concurrent upsert of the same source waits and then re-evaluates it
	// against the committed row; SQLite has one writer. No row comes back
	// when the condition is false.
	err = s.writer().row(ctx, `INSERT INTO source_attempts (source, window_start, window_end, attempts)
		VALUES (?, ?, ?, 1)
		ON CONFLICT (source) DO UPDATE SET
			window_start = CASE WHEN source_attempts.window_end <= ? THEN excluded.window_start ELSE source_attempts.window_start END,
			window_end   = CASE WHEN source_attempts.window_end <= ? THEN excluded.window_end ELSE source_attempts.window_end END,
			attempts     = CASE WHEN source_attempts.window_end <= ? THEN 1 ELSE source_attempts.attempts + 1 END
		WHERE source_attempts.window_end <= ? OR source_attempts.attempts < ?
		RETURNING attempts`,
		source, at, end, at, at, at, at, failureThreshold(limit)).Scan(&attempts)
	if err == nil {
		return attempts, true, 0, nil
	}
	if !isNoRows(err) {
		return 0, false, 0, fmt.Errorf("store: reserving attempt of %s: %w", source, err)
	}
	var windowEnd int64
	err = s.writer().row(ctx, `SELECT attempts, window_end FROM source_attempts WHERE source = ?`, source).
		Scan(&attempts, &windowEnd)
	if err != nil && !isNoRows(err) { // a prune in between: retry at once
		return 0, false, 0, fmt.Errorf("store: reserving attempt of %s: %w", source, err)
	}
	if err == nil {
		retryAfter = max(microTime(windowEnd).Sub(now), 0)
	}
	return attempts, false, retryAfter, nil
}

// ReleaseSourceAttempt gives back an attempt reserved with
// ReserveSourceAttempt, after a successful login: the count of the window
// current at now goes down by one, never below zero. A window that has ended
// is left alone.
func (s *Store) ReleaseSourceAttempt(ctx context.Context, source string, now time.Time) error {
	_, err := s.writer().exec(ctx, `UPDATE source_attempts SET attempts = attempts - 1
		WHERE source = ? AND window_end > ? AND attempts > 0`, source, utc(now).UnixMicro())
	if err != nil {
		return fmt.Errorf("store: releasing attempt of %s: %w", source, err)
	}
	return nil
}

// pruneSourceAttempts deletes ended windows at most once per
// sourcePruneEvery of the callers' clock; failing to is harmless (an ended
// window is restarted in place), so errors are not reported.
func (s *Store) pruneSourceAttempts(ctx context.Context, now time.Time) {
	t := now.UnixMicro()
	last := s.lastSourcePrune.Load()
	if t-last < sourcePruneEvery.Microseconds() || !s.lastSourcePrune.CompareAndSwap(last, t) {
		return
	}
	if _, err := s.writer().exec(ctx, `DELETE FROM source_attempts WHERE window_end <= ?`, t); err != nil {
		s.lastSourcePrune.CompareAndSwap(t, last) // try again next time
	}
}
