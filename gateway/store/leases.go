package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// Lease is a tunnel address and the user who holds it or last held it.
type Lease struct {
	Addr       netip.Addr
	UserID     string
	SessionID  string    // "" when the address is free
	AcquiredAt time.Time // when UserID last acquired it
	ReleasedAt time.Time // zero while held
}

// AcquireLease leases an address from pool to a session and returns it.
//
// A user gets back the address they had last if it is free (the portal and
// the firewall logs see the same address every day); otherwise the lowest
// address never handed out, then the address free the longest. The network
// and broadcast addresses (IPv4) or the subnet-router anycast address (IPv6)
// and the reserved addresses (the gateway's own, say) are never handed out,
// nor is an address held by another session. Asking again for the same
// session returns its address. When no address is left the error is a
// *PoolExhaustedError, which matches ErrPoolExhausted.
//
// CreateSession can lease in its own transaction (CreateOptions.Pool), which
// is what a login should use; AcquireLease is for callers that need the
// address before they create the session.
func (s *Store) AcquireLease(ctx context.Context, userID, sessionID string, pool netip.Prefix, reserved []netip.Addr) (netip.Addr, error) {
	if userID == "" || sessionID == "" {
		return netip.Addr{}, fmt.Errorf("%w: lease needs a user and a session", ErrInvalid)
	}
	var addr netip.Addr
	err := s.inTx(ctx, func(c conn) error {
		var err error
		addr, err = acquireLease(ctx, c, userID, sessionID, pool, reserved, s.now())
		return err
	})
	if err != nil {
		return netip.Addr{}, fmt.Errorf("store: leasing an address for %q: %w", userID, err)
	}
	return addr, nil
}

// leasePicker holds what one acquisition knows about the pool.
type leasePicker struct {
	pool        netip.Prefix
	first, last netip.Addr // usable range
	lo, hi      string     // their keys
	reserved    map[netip.Addr]bool
}

// usable reports whether a may be handed out at all.
func (p *leasePicker) usable(a netip.Addr) bool {
	return p.pool.Contains(a) && !a.Less(p.first) && !p.last.Less(a) && !p.reserved[a]
}

func acquireLease(ctx context.Context, c conn, userID, sessionID string, pool netip.Prefix, reserved []netip.Addr, now time.Time) (netip.Addr, error) {
	first, last, err := usableRange(pool)
	if err != nil {
		return netip.Addr{}, err
	}
	p := &leasePicker{pool: pool.Masked(), first: first, last: last, lo: addrKey(first), hi: addrKey(last),
		reserved: make(map[netip.Addr]bool, len(reserved))}
	for _, a := range reserved {
		if first.Is4() {
			a = a.Unmap()
		}
		p.reserved[a.WithZone("")] = true
	}
	// One acquisition at a time per database: the choice below reads
	// several rows, and two nodes choosing at once could pick the same
	// never-used address. (SQLite's transaction already holds the lock.)
	if err := c.lock(ctx, lockLeases); err != nil {
		return netip.Addr{}, err
	}

	// The session already holds an address.
	var held string
	switch err := c.row(ctx, `SELECT addr FROM leases WHERE session_id = ?`, sessionID).Scan(&held); {
	case err == nil:
		return netip.ParseAddr(held)
	case !isNoRows(err):
		return netip.Addr{}, err
	}

	// Only reserved addresses can be unusable among free rows in range, so
	// len(reserved)+1 rows always reach a usable one if there is one.
	limit := len(p.reserved) + 1

	// The user's own previous address, most recent first.
	addr, err := p.claimFirst(ctx, c, userID, sessionID, now, `SELECT addr FROM leases
		WHERE user_id = ? AND session_id IS NULL AND addr_key BETWEEN ? AND ?
		ORDER BY released_at DESC LIMIT ?`, userID, p.lo, p.hi, limit)
	if addr.IsValid() || err != nil {
		return addr, err
	}

	// An address never handed out, above the highest one that was.
	cand := first
	var top string
	switch err := c.row(ctx, `SELECT addr FROM leases WHERE addr_key BETWEEN ? AND ?
		ORDER BY addr_key DESC LIMIT 1`, p.lo, p.hi).Scan(&top); {
	case err == nil:
		a, err := netip.ParseAddr(top)
		if err != nil {
			return netip.Addr{}, fmt.Errorf("stored lease address: %w", err)
		}
		cand = a.Next()
	case !isNoRows(err):
		return netip.Addr{}, err
	}
	for i := 0; i < limit && cand.IsValid() && !last.Less(cand); i, cand = i+1, cand.Next() {
		if p.usable(cand) {
			return cand, insertLease(ctx, c, cand, userID, sessionID, now)
		}
	}

	// The address free the longest: it is the least likely to be anyone's
	// sticky address still.
	addr, err = p.claimFirst(ctx, c, userID, sessionID, now, `SELECT addr FROM leases
		WHERE session_id IS NULL AND addr_key BETWEEN ? AND ?
		ORDER BY released_at, addr_key LIMIT ?`, p.lo, p.hi, limit)
	if addr.IsValid() || err != nil {
		return addr, err
	}

	// A hole below the highest address: left by a deleted user, or by a
	// pool or reserved list that changed. Rare, so a scan is fine.
	if cand, err = p.findGap(ctx, c); err != nil || cand.IsValid() {
		if err == nil {
			err = insertLease(ctx, c, cand, userID, sessionID, now)
		}
		return cand, err
	}
	return netip.Addr{}, &PoolExhaustedError{Pool: p.pool}
}

// claimFirst takes the first usable free address the query returns.
func (p *leasePicker) claimFirst(ctx context.Context, c conn, userID, sessionID string, now time.Time, query string, args ...any) (netip.Addr, error) {
	addrs, err := queryAll(ctx, c, scanAddr, query, args...)
	if err != nil {
		return netip.Addr{}, err
	}
	for _, a := range addrs {
		if !p.usable(a) {
			continue
		}
		err := oneRow(c.exec(ctx, `UPDATE leases SET user_id = ?, session_id = ?, acquired_at = ?, released_at = NULL
			WHERE addr_key = ? AND session_id IS NULL`, userID, sessionID, now.UnixMicro(), addrKey(a)))
		if errors.Is(err, ErrNotFound) {
			continue // taken meanwhile; cannot happen under the lease lock
		}
		return a, err
	}
	return netip.Addr{}, nil
}

// findGap returns the lowest usable address in the range that has no lease
// row, or the invalid Addr.
func (p *leasePicker) findGap(ctx context.Context, c conn) (netip.Addr, error) {
	rows, err := c.query(ctx, `SELECT addr FROM leases WHERE addr_key BETWEEN ? AND ? ORDER BY addr_key`, p.lo, p.hi)
	if err != nil {
		return netip.Addr{}, err
	}
	defer rows.Close()
	cand := p.first
	for rows.Next() {
		a, err := scanAddr(rows)
		if err != nil {
			return netip.Addr{}, err
		}
		// Each address in the gap is either reserved or the answer, so
		// this inner loop runs at most len(reserved)+1 times in all.
		for ; cand.IsValid() && cand.Less(a); cand = cand.Next() {
			if p.usable(cand) {
				return cand, nil
			}
		}
		cand = a.Next()
	}
	if err := rows.Err(); err != nil {
		return netip.Addr{}, err
	}
	for i := 0; i <= len(p.reserved) && cand.IsValid() && !p.last.Less(cand); i, cand = i+1, cand.Next() {
		if p.usable(cand) {
			return cand, nil
		}
	}
	return netip.Addr{}, nil
}

func insertLease(ctx context.Context, c conn, a netip.Addr, userID, sessionID string, now time.Time) error {
	_, err := c.exec(ctx, `INSERT INTO leases (addr_key, addr, user_id, session_id, acquired_at, released_at)
		VALUES (?, ?, ?, ?, ?, NULL)`, addrKey(a), a.String(), userID, sessionID, now.UnixMicro())
	return err
}

// ReleaseLease frees the address of a session that will not be created or
// no longer needs it. The address stays associated with its user, who gets it
// back next time if nobody else took it meanwhile. Releasing a session that
// holds no address does nothing. Ending a session releases its address
// itself; releasing the address of a session still active is refused, since
// the address would then be handed to a second live session.
func (s *Store) ReleaseLease(ctx context.Context, sessionID string) error {
	err := s.inTx(ctx, func(c conn) error {
		var one int
		err := c.row(ctx, `SELECT 1 FROM sessions WHERE session_id = ? AND ended_at IS NULL`+c.forUpdate(), sessionID).Scan(&one)
		if err == nil {
			return fmt.Errorf("%w: session %s is active; end it instead", ErrInvalid, sessionID)
		}
		if !isNoRows(err) {
			return err
		}
		return releaseLease(ctx, c, sessionID, s.now())
	})
	if err != nil {
		return fmt.Errorf("store: releasing lease: %w", err)
	}
	return nil
}

func releaseLease(ctx context.Context, c conn, sessionID string, now time.Time) error {
	_, err := c.exec(ctx, `UPDATE leases SET session_id = NULL, released_at = ? WHERE session_id = ?`,
		now.UnixMicro(), sessionID)
	return err
}

// ReleaseOrphanLeases frees addresses acquired before the given time for
// sessions that do not exist or have ended: what a node that died between
// AcquireLease and CreateSession leaves behind. It returns how many it freed.
func (s *Store) ReleaseOrphanLeases(ctx context.Context, acquiredBefore time.Time) (int64, error) {
	res, err := s.writer().exec(ctx, `UPDATE leases SET session_id = NULL, released_at = ?
		WHERE session_id IS NOT NULL AND acquired_at < ?
		AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.session_id = leases.session_id AND s.ended_at IS NULL)`,
		s.now().UnixMicro(), utc(acquiredBefore).UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("store: releasing orphan leases: %w", err)
	}
	return res.RowsAffected()
}

// Leases returns every lease row, held or free, in address order.
func (s *Store) Leases(ctx context.Context) ([]Lease, error) {
	ls, err := queryAll(ctx, s.reader(), scanLease, `SELECT addr, user_id, session_id, acquired_at, released_at
		FROM leases ORDER BY addr_key`)
	if err != nil {
		return nil, fmt.Errorf("store: listing leases: %w", err)
	}
	return ls, nil
}

func scanLease(r scanner) (Lease, error) {
	var l Lease
	var addr string
	var session sql.NullString
	var acquired int64
	var released sql.NullInt64
	if err := r.Scan(&addr, &l.UserID, &session, &acquired, &released); err != nil {
		return Lease{}, err
	}
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return Lease{}, fmt.Errorf("stored lease address: %w", err)
	}
	l.Addr, l.SessionID = a, session.String
	l.AcquiredAt, l.ReleasedAt = microTime(acquired), goTime(released)
	return l, nil
}

func scanAddr(r scanner) (netip.Addr, error) {
	var s string
	if err := r.Scan(&s); err != nil {
		return netip.Addr{}, err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("stored lease address: %w", err)
	}
	return a, nil
}

// addrKey is the stored sort key of an address: the 16-byte form in hex, so
// that text order is numeric order on both backends.
func addrKey(a netip.Addr) string {
	b := a.As16()
	return hex.EncodeToString(b[:])
}

// usableRange returns the first and last address of pool that may be handed
// out: an IPv4 pool loses its network and broadcast addresses (except /31 and
// /32, RFC 3021), an IPv6 pool its subnet-router anycast address.
func usableRange(pool netip.Prefix) (first, last netip.Addr, err error) {
	if !pool.IsValid() {
		return netip.Addr{}, netip.Addr{}, fmt.Errorf("%w: invalid address pool", ErrInvalid)
	}
	pool = pool.Masked()
	first = pool.Addr()
	b := first.As16()
	bits := pool.Bits()
	if first.Is4() {
		bits += 96
	}
	for i := bits; i < 128; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	last = netip.AddrFrom16(b)
	if first.Is4() {
		last = last.Unmap()
	}
	host := first.BitLen() - pool.Bits()
	switch {
	case first.Is4() && host >= 2:
		first, last = first.Next(), last.Prev()
	case !first.Is4() && host >= 1:
		first = first.Next()
	}
	return first, last, nil
}
