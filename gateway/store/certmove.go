package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// MoveSlot is a certificate-move slot of the relay (gateway/certmove.go).
type MoveSlot struct {
	ID            string
	UserID        string
	SlotNo        string // three digits
	CertKey       string
	DeleteAfter   bool
	SenderToken   string // hashes (HashToken)
	ReceiverToken string
	Stage         int
	MsgA, MsgB    []byte
	TagA, Payload []byte
	CreatedAt     time.Time
	ExpiresAt     time.Time
}

// Move stages, in protocol order.
const (
	MoveOpened  = 0
	MoveA       = 1
	MoveJoined  = 2
	MoveB       = 3
	MoveTA      = 4
	MoveReady   = 5
	MovePayload = 6
	MoveDone    = 7
	MoveBurnt   = -1
)

// Errors of the move operations.
var (
	ErrMoveStage = errors.New("store: move slot is not at that step")
	ErrMoveFull  = errors.New("store: no free slot number for this user")
)

const slotCols = `slot_id, user_id, slot_no, cert_key, delete_after, sender_token, receiver_token, stage,
	msg_a, msg_b, tag_a, payload, created_at, expires_at`

func scanSlot(r scanner) (MoveSlot, error) {
	var m MoveSlot
	var created, expires int64
	err := r.Scan(&m.ID, &m.UserID, &m.SlotNo, &m.CertKey, &m.DeleteAfter, &m.SenderToken, &m.ReceiverToken, &m.Stage,
		&m.MsgA, &m.MsgB, &m.TagA, &m.Payload, &created, &expires)
	if err != nil {
		return MoveSlot{}, err
	}
	m.CreatedAt, m.ExpiresAt = microTime(created), microTime(expires)
	return m, nil
}

// CreateMoveSlot adds a slot for m.UserID with a random slot number no
// other slot of the user has, unless the user already has maxLive slots
// that have not expired (ErrMoveFull then). It fills in ID and SlotNo.
func (s *Store) CreateMoveSlot(ctx context.Context, m MoveSlot, maxLive int, now time.Time) (MoveSlot, error) {
	m.ID = NewID()
	m.CreatedAt, m.ExpiresAt = utc(now), utc(m.ExpiresAt)
	err := s.inTx(ctx, func(c conn) error {
		if err := c.lock(ctx, lockMoves); err != nil {
			return err
		}
		if _, err := c.exec(ctx, `DELETE FROM certmove_slots WHERE user_id = ? AND expires_at < ?`,
			m.UserID, m.CreatedAt.Add(-time.Minute).UnixMicro()); err != nil {
			return err
		}
		var live int
		if err := c.row(ctx, `SELECT COUNT(*) FROM certmove_slots WHERE user_id = ? AND expires_at >= ? AND stage BETWEEN 0 AND 6`,
			m.UserID, m.CreatedAt.UnixMicro()).Scan(&live); err != nil {
			return err
		}
		if live >= maxLive {
			return ErrMoveFull
		}
		for range 20 {
			n, err := rand.Int(rand.Reader, big.NewInt(1000))
			if err != nil {
				return err
			}
			m.SlotNo = fmt.Sprintf("%03d", n.Int64())
			var one int
			err = c.row(ctx, `SELECT 1 FROM certmove_slots WHERE user_id = ? AND slot_no = ?`, m.UserID, m.SlotNo).Scan(&one)
			if isNoRows(err) {
				_, err = c.exec(ctx, `INSERT INTO certmove_slots (slot_id, user_id, slot_no, cert_key, delete_after,
					sender_token, receiver_token, stage, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, '', ?, ?, ?)`,
					m.ID, m.UserID, m.SlotNo, m.CertKey, m.DeleteAfter, m.SenderToken, MoveOpened,
					m.CreatedAt.UnixMicro(), m.ExpiresAt.UnixMicro())
				return err
			}
			if err != nil {
				return err
			}
		}
		return ErrMoveFull
	})
	if err != nil {
		if errors.Is(err, ErrMoveFull) {
			return MoveSlot{}, err
		}
		return MoveSlot{}, fmt.Errorf("store: creating move slot: %w", err)
	}
	m.Stage = MoveOpened
	return m, nil
}

// MoveSlotByID returns a slot.
func (s *Store) MoveSlotByID(ctx context.Context, id string) (MoveSlot, error) {
	m, err := scanSlot(s.writer().row(ctx, `SELECT `+slotCols+` FROM certmove_slots WHERE slot_id = ?`, id))
	if isNoRows(err) {
		return MoveSlot{}, ErrNotFound
	}
	if err != nil {
		return MoveSlot{}, fmt.Errorf("store: reading move slot: %w", err)
	}
	return m, nil
}

// MoveSlotByNumber returns the user's slot with that number.
func (s *Store) MoveSlotByNumber(ctx context.Context, userID, slotNo string) (MoveSlot, error) {
	m, err := scanSlot(s.writer().row(ctx, `SELECT `+slotCols+` FROM certmove_slots WHERE user_id = ? AND slot_no = ?`, userID, slotNo))
	if isNoRows(err) {
		return MoveSlot{}, ErrNotFound
	}
	if err != nil {
		return MoveSlot{}, fmt.Errorf("store: reading move slot: %w", err)
	}
	return m, nil
}

// MoveColumn names the column a step's data goes to; "" for steps that
// carry none.
type MoveColumn string

const (
	ColNone    MoveColumn = ""
	ColMsgA    MoveColumn = "msg_a"
	ColMsgB    MoveColumn = "msg_b"
	ColTagA    MoveColumn = "tag_a"
	ColPayload MoveColumn = "payload"
)

// AdvanceMoveSlot moves a slot from stage from to stage to, storing data
// in col, in one conditional update: two requests racing for the same step
// cannot both succeed (ErrMoveStage for the loser). It also refuses a slot
// expired at now. receiverToken, when not empty, is set with the step
// (the join).
func (s *Store) AdvanceMoveSlot(ctx context.Context, id string, from, to int, col MoveColumn, data []byte, receiverToken string, now time.Time) error {
	set := "stage = ?"
	args := []any{to}
	switch col {
	case ColNone:
	case ColMsgA, ColMsgB, ColTagA, ColPayload:
		set += ", " + string(col) + " = ?"
		args = append(args, data)
	default:
		return fmt.Errorf("%w: column %q", ErrInvalid, col)
	}
	if receiverToken != "" {
		set += ", receiver_token = ?"
		args = append(args, receiverToken)
	}
	if to == MoveDone {
		set += ", msg_a = NULL, msg_b = NULL, tag_a = NULL, payload = NULL"
	}
	args = append(args, id, from, utc(now).UnixMicro())
	err := oneRow(s.writer().exec(ctx, `UPDATE certmove_slots SET `+set+` WHERE slot_id = ? AND stage = ? AND expires_at >= ?`, args...))
	if errors.Is(err, ErrNotFound) {
		return ErrMoveStage
	}
	if err != nil {
		return fmt.Errorf("store: advancing move slot: %w", err)
	}
	return nil
}

// BurnMoveSlot marks a slot burnt and wipes what it held, unless it is
// already done; it reports whether it burnt it now.
func (s *Store) BurnMoveSlot(ctx context.Context, id string) (bool, error) {
	res, err := s.writer().exec(ctx, `UPDATE certmove_slots SET stage = ?, msg_a = NULL, msg_b = NULL, tag_a = NULL, payload = NULL
		WHERE slot_id = ? AND stage BETWEEN 0 AND 6`, MoveBurnt, id)
	if err != nil {
		return false, fmt.Errorf("store: burning move slot: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// WipeMoveSlot empties an expired slot's messages, keeping the row (so a
// late request hears "expired", not "unknown") until PruneMoveSlots.
func (s *Store) WipeMoveSlot(ctx context.Context, id string) error {
	_, err := s.writer().exec(ctx, `UPDATE certmove_slots SET msg_a = NULL, msg_b = NULL, tag_a = NULL, payload = NULL WHERE slot_id = ?`, id)
	return err
}

// DeleteMoveSlot removes a slot's row.
func (s *Store) DeleteMoveSlot(ctx context.Context, id string) error {
	_, err := s.writer().exec(ctx, `DELETE FROM certmove_slots WHERE slot_id = ?`, id)
	return err
}

// PruneMoveSlots deletes slots that expired before before and returns them
// (without their contents), for the audit log.
func (s *Store) PruneMoveSlots(ctx context.Context, before time.Time) ([]MoveSlot, error) {
	var out []MoveSlot
	err := s.inTx(ctx, func(c conn) error {
		var err error
		out, err = queryAll(ctx, c, scanSlot, `SELECT `+slotCols+` FROM certmove_slots WHERE expires_at < ?`+c.forUpdate(), utc(before).UnixMicro())
		if err != nil {
			return err
		}
		_, err = c.exec(ctx, `DELETE FROM certmove_slots WHERE expires_at < ?`, utc(before).UnixMicro())
		return err
	})
	for i := range out {
		out[i].MsgA, out[i].MsgB, out[i].TagA, out[i].Payload = nil, nil, nil, nil
	}
	return out, err
}

// CertMoves returns how many completed moves left a copy of the
// certificate behind.
func (s *Store) CertMoves(ctx context.Context, certKey string) (int, error) {
	var n int
	err := s.writer().row(ctx, `SELECT moves FROM certmove_devices WHERE cert_key = ?`, certKey).Scan(&n)
	if isNoRows(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: reading certificate moves: %w", err)
	}
	return n, nil
}

// AddCertMove counts one more copy of the certificate and returns the
// count.
func (s *Store) AddCertMove(ctx context.Context, certKey, userID string, now time.Time) (int, error) {
	var n int
	err := s.writer().row(ctx, `INSERT INTO certmove_devices (cert_key, user_id, moves, updated_at) VALUES (?, ?, 1, ?)
		ON CONFLICT (cert_key) DO UPDATE SET moves = certmove_devices.moves + 1, updated_at = excluded.updated_at
		RETURNING moves`, certKey, userID, utc(now).UnixMicro()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: counting certificate move: %w", err)
	}
	return n, nil
}

// ResetCertMoves forgets a certificate's moves (an administrator, after
// the user removed it from old PCs).
func (s *Store) ResetCertMoves(ctx context.Context, certKey string) error {
	_, err := s.writer().exec(ctx, `DELETE FROM certmove_devices WHERE cert_key = ?`, certKey)
	return err
}
