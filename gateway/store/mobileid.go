package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// MobileLogin is a QR login of the mobile employee ID (gateway/mobileid.go)
// as every node of a cluster sees it. Key is the SHA-256 of the
// transaction code (HashToken): the code itself, the phone's bearer
// secret, is never stored.
type MobileLogin struct {
	Key         string
	Nonce       string
	ShortCode   string
	WGPublicKey string
	UserID      string // the account asked for, or "" for any
	Binding     []byte // tls-exporter of svpnd's connection
	Source      string
	Host        string
	Node        string // the node that started it, where svpnd waits
	CreatedAt   time.Time
	ExpiresAt   time.Time

	State MobileState
	// The verdict, once answered: an approval names the account
	// (VerdictUser, no code), a refusal has a code and a message.
	VerdictUser    string
	VerdictCode    string
	VerdictMessage string
}

// MobileState is where a QR login is: pending → answered → collected.
type MobileState int

const (
	MobilePending   MobileState = 0
	MobileAnswered  MobileState = 1
	MobileCollected MobileState = 2
)

const mobileCols = `trx_hash, nonce, short_code, wg_public_key, user_id, binding, source, host, node,
	state, verdict_user, verdict_code, verdict_message, created_at, expires_at`

func scanMobileLogin(r scanner) (MobileLogin, error) {
	var l MobileLogin
	var created, expires int64
	err := r.Scan(&l.Key, &l.Nonce, &l.ShortCode, &l.WGPublicKey, &l.UserID, &l.Binding, &l.Source, &l.Host, &l.Node,
		&l.State, &l.VerdictUser, &l.VerdictCode, &l.VerdictMessage, &created, &expires)
	l.CreatedAt, l.ExpiresAt = microTime(created), microTime(expires)
	return l, err
}

// AddMobileLogin stores a pending QR login after pruning the table (see
// PruneMobileLogins, whose expired logins it returns for the audit log).
// It adds nothing and reports false when l.Node already has maxPending
// logins not yet collected.
func (s *Store) AddMobileLogin(ctx context.Context, l MobileLogin, maxPending int, grace time.Duration, now time.Time) (expired []MobileLogin, ok bool, err error) {
	if l.Key == "" || len(l.Binding) == 0 {
		return nil, false, fmt.Errorf("%w: a mobile login needs a key and a binding", ErrInvalid)
	}
	now = utc(now)
	err = s.inTx(ctx, func(c conn) error {
		if err := c.lock(ctx, lockMobile); err != nil {
			return err
		}
		var err error
		if expired, err = pruneMobile(ctx, c, now, grace); err != nil {
			return err
		}
		var n int
		if err := c.row(ctx, `SELECT COUNT(*) FROM mobile_logins WHERE node = ? AND state < ?`,
			l.Node, MobileCollected).Scan(&n); err != nil {
			return err
		}
		if n >= maxPending {
			return nil
		}
		_, err = c.exec(ctx, `INSERT INTO mobile_logins (trx_hash, nonce, short_code, wg_public_key, user_id, binding,
			source, host, node, state, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			l.Key, l.Nonce, l.ShortCode, l.WGPublicKey, l.UserID, l.Binding, l.Source, l.Host, l.Node, MobilePending,
			now.UnixMicro(), utc(l.ExpiresAt).UnixMicro())
		ok = err == nil
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("store: adding a mobile login: %w", err)
	}
	return expired, ok, nil
}

// PruneMobileLogins deletes the logins nobody will use any more: pending
// ones past their expiry (returned, each to one caller only, for the audit
// log), answered ones not collected within grace after it, and collected
// ones.
func (s *Store) PruneMobileLogins(ctx context.Context, grace time.Duration, now time.Time) ([]MobileLogin, error) {
	ls, err := pruneMobile(ctx, s.writer(), utc(now), grace)
	if err != nil {
		return nil, fmt.Errorf("store: pruning mobile logins: %w", err)
	}
	return ls, nil
}

func pruneMobile(ctx context.Context, c conn, now time.Time, grace time.Duration) ([]MobileLogin, error) {
	ls, err := queryAll(ctx, c, scanMobileLogin, `DELETE FROM mobile_logins
		WHERE (state = ? AND expires_at < ?) OR expires_at < ? OR state = ?
		RETURNING `+mobileCols,
		MobilePending, now.UnixMicro(), now.Add(-grace).UnixMicro(), MobileCollected)
	if err != nil {
		return nil, err
	}
	expired := ls[:0]
	for _, l := range ls {
		if l.State == MobilePending {
			expired = append(expired, l)
		}
	}
	return expired, nil
}

// GetMobileLogin returns the login whose key is key, or ErrNotFound.
func (s *Store) GetMobileLogin(ctx context.Context, key string) (MobileLogin, error) {
	l, err := scanMobileLogin(s.reader().row(ctx, `SELECT `+mobileCols+` FROM mobile_logins WHERE trx_hash = ?`, key))
	if isNoRows(err) {
		return MobileLogin{}, ErrNotFound
	}
	if err != nil {
		return MobileLogin{}, fmt.Errorf("store: reading a mobile login: %w", err)
	}
	return l, nil
}

// AnswerMobileLogin records the verdict of a pending login: userID for an
// approval, or code and message for a refusal. It reports false, changing
// nothing, when the login is gone or no longer pending: of two nodes given
// the same answer at once, exactly one records it.
func (s *Store) AnswerMobileLogin(ctx context.Context, key, userID, code, message string) (bool, error) {
	if (userID == "") == (code == "") {
		return false, fmt.Errorf("%w: a verdict is either an account or a refusal code", ErrInvalid)
	}
	err := oneRow(s.writer().exec(ctx, `UPDATE mobile_logins SET state = ?, verdict_user = ?, verdict_code = ?, verdict_message = ?
		WHERE trx_hash = ? AND state = ?`, MobileAnswered, userID, code, message, key, MobilePending))
	return mobileCAS(err, "answering")
}

// CollectMobileLogin marks an answered login collected: its verdict is
// handed over once. It reports false when it was not answered or already
// collected.
func (s *Store) CollectMobileLogin(ctx context.Context, key string) (bool, error) {
	err := oneRow(s.writer().exec(ctx, `UPDATE mobile_logins SET state = ? WHERE trx_hash = ? AND state = ?`,
		MobileCollected, key, MobileAnswered))
	return mobileCAS(err, "collecting")
}

func mobileCAS(err error, what string) (bool, error) {
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrNotFound):
		return false, nil
	default:
		return false, fmt.Errorf("store: %s a mobile login: %w", what, err)
	}
}

// mobileBatch bounds the keys of one PendingMobileLogins query (SQLite
// takes at most 32766 parameters).
var mobileBatch = 1000

// PendingMobileLogins returns which of keys name logins still pending: a
// node waiting on many learns in one query which were answered (or are
// gone).
func (s *Store) PendingMobileLogins(ctx context.Context, keys []string) (map[string]bool, error) {
	pending := map[string]bool{}
	for len(keys) > 0 {
		n := min(len(keys), mobileBatch)
		args := make([]any, 0, n+1)
		args = append(args, MobilePending)
		for _, k := range keys[:n] {
			args = append(args, k)
		}
		ks, err := queryAll(ctx, s.reader(), func(r scanner) (string, error) {
			var k string
			return k, r.Scan(&k)
		}, `SELECT trx_hash FROM mobile_logins WHERE state = ? AND trx_hash IN (?`+strings.Repeat(", ?", n-1)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("store: reading mobile logins: %w", err)
		}
		for _, k := range ks {
			pending[k] = true
		}
		keys = keys[n:]
	}
	return pending, nil
}
