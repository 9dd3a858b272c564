package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// User is a gateway account.
type User struct {
	ID                 string // as typed at login; the caller normalises case if it wants to
	DisplayName        string
	Group              string
	PasswordHash       string // PHC string from package password
	MustChangePassword bool   // set for administrator-set passwords
	FailedAttempts     int    // consecutive failed logins
	Locked             bool
	LockedAt           time.Time // zero unless Locked
	LockReason         string
	Cert               CertBinding // registered certificate; zero when none
	// IdentityNumber is the 13-digit resident/identity number (digits only,
	// see NormalizeIdentityNumber) an administrator registered so that the
	// first-login binding can check the certificate's VID. Binding a
	// certificate clears it: the gateway keeps it only until then.
	IdentityNumber    string
	CreatedAt         time.Time
	UpdatedAt         time.Time
	PasswordChangedAt time.Time // zero if never set
}

// CertBinding ties an account to a certificate by subject DN and/or serial
// number with its issuer DN; an empty field is not checked. A serial number is
// unique only per issuer, so the administrator CLI always records both.
type CertBinding struct {
	Subject string // subject DN as certstore.SubjectString formats it
	Serial  string // lower-case hex without leading zeros (see NormalizeSerial)
	Issuer  string // issuer DN as certstore.IssuerString formats it
}

// IsZero reports whether no certificate is registered.
func (b CertBinding) IsZero() bool { return b.Subject == "" && b.Serial == "" && b.Issuer == "" }

// LockReasonFailures is the LockReason set by RecordFailure.
const LockReasonFailures = "too many failed logins"

const userCols = `user_id, display_name, group_name, password_hash, must_change_password,
	failed_attempts, locked, locked_at, lock_reason, cert_subject, cert_serial, cert_issuer,
	identity_number, created_at, updated_at, password_changed_at`

func scanUser(r scanner) (User, error) {
	var u User
	var lockedAt, pwAt sql.NullInt64
	var created, updated int64
	err := r.Scan(&u.ID, &u.DisplayName, &u.Group, &u.PasswordHash, &u.MustChangePassword,
		&u.FailedAttempts, &u.Locked, &lockedAt, &u.LockReason, &u.Cert.Subject, &u.Cert.Serial,
		&u.Cert.Issuer, &u.IdentityNumber, &created, &updated, &pwAt)
	if err != nil {
		return User{}, err
	}
	u.LockedAt, u.PasswordChangedAt = goTime(lockedAt), goTime(pwAt)
	u.CreatedAt, u.UpdatedAt = microTime(created), microTime(updated)
	return u, nil
}

func normBinding(b CertBinding) (CertBinding, error) {
	if b.Serial != "" {
		s, err := NormalizeSerial(b.Serial)
		if err != nil {
			return CertBinding{}, err
		}
		b.Serial = s
	}
	return b, nil
}

// AddUser creates an account. It returns ErrExists if the ID is taken.
// CreatedAt and UpdatedAt default to now; PasswordChangedAt to now when a
// hash is given.
func (s *Store) AddUser(ctx context.Context, u User) error {
	if u.ID == "" {
		return fmt.Errorf("%w: empty user ID", ErrInvalid)
	}
	cert, err := normBinding(u.Cert)
	if err != nil {
		return err
	}
	if u.IdentityNumber != "" {
		if !cert.IsZero() {
			return fmt.Errorf("%w: user %q: an identity number is only kept for an account without a certificate", ErrInvalid, u.ID)
		}
		if u.IdentityNumber, err = NormalizeIdentityNumber(u.IdentityNumber); err != nil {
			return err
		}
	}
	now := s.now()
	if u.CreatedAt.IsZero() {
		u.CreatedAt = now
	}
	if u.UpdatedAt.IsZero() {
		u.UpdatedAt = u.CreatedAt
	}
	if u.PasswordChangedAt.IsZero() && u.PasswordHash != "" {
		u.PasswordChangedAt = u.CreatedAt
	}
	if u.Locked && u.LockedAt.IsZero() {
		u.LockedAt = now
	}
	res, err := s.writer().exec(ctx, `INSERT INTO users (`+userCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO NOTHING`,
		u.ID, u.DisplayName, u.Group, u.PasswordHash, u.MustChangePassword,
		u.FailedAttempts, u.Locked, dbTime(utc(u.LockedAt)), u.LockReason, cert.Subject, cert.Serial, cert.Issuer,
		u.IdentityNumber, utc(u.CreatedAt).UnixMicro(), utc(u.UpdatedAt).UnixMicro(), dbTime(utc(u.PasswordChangedAt)))
	if err := oneRow(res, err); err != nil {
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("user %q: %w", u.ID, ErrExists)
		}
		return fmt.Errorf("store: adding user %q: %w", u.ID, err)
	}
	return nil
}

// GetUser returns the account with the given ID, or ErrNotFound.
func (s *Store) GetUser(ctx context.Context, id string) (User, error) {
	u, err := scanUser(s.reader().row(ctx, `SELECT `+userCols+` FROM users WHERE user_id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("user %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("store: getting user %q: %w", id, err)
	}
	return u, nil
}

// ListUsers returns every account, ordered by ID.
func (s *Store) ListUsers(ctx context.Context) ([]User, error) {
	us, err := queryAll(ctx, s.reader(), scanUser, `SELECT `+userCols+` FROM users ORDER BY user_id`)
	if err != nil {
		return nil, fmt.Errorf("store: listing users: %w", err)
	}
	return us, nil
}

// updateUser runs a single-row UPDATE of users; set is the SET list with
// '?' placeholders for args, to which updated_at and the ID are appended.
func (s *Store) updateUser(ctx context.Context, what, id, set string, args ...any) error {
	args = append(args, s.now().UnixMicro(), id)
	err := oneRow(s.writer().exec(ctx, `UPDATE users SET `+set+`, updated_at = ? WHERE user_id = ?`, args...))
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("user %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("store: %s of user %q: %w", what, id, err)
	}
	return nil
}

// SetProfile changes an account's display name and group.
func (s *Store) SetProfile(ctx context.Context, id, displayName, group string) error {
	return s.updateUser(ctx, "setting profile", id, "display_name = ?, group_name = ?", displayName, group)
}

// SetPassword stores a new password hash. mustChange is true when an
// administrator set the password, false when the user chose it.
func (s *Store) SetPassword(ctx context.Context, id, hash string, mustChange bool) error {
	return s.updateUser(ctx, "setting password", id,
		"password_hash = ?, must_change_password = ?, password_changed_at = ?",
		hash, mustChange, s.now().UnixMicro())
}

// SetMustChangePassword sets or clears the demand to change the password at
// the next login.
func (s *Store) SetMustChangePassword(ctx context.Context, id string, must bool) error {
	return s.updateUser(ctx, "setting must-change", id, "must_change_password = ?", must)
}

// LockUser locks an account. Locking a locked account updates the reason and
// keeps the original LockedAt.
func (s *Store) LockUser(ctx context.Context, id, reason string) error {
	return s.updateUser(ctx, "locking", id,
		"locked = TRUE, locked_at = COALESCE(locked_at, ?), lock_reason = ?", s.now().UnixMicro(), reason)
}

// UnlockUser unlocks an account and resets its failure count.
func (s *Store) UnlockUser(ctx context.Context, id string) error {
	return s.updateUser(ctx, "unlocking", id,
		"locked = FALSE, locked_at = NULL, lock_reason = '', failed_attempts = 0, pending_attempts = 0")
}

// BindCertificate registers the certificate an account must log in with,
// replacing any earlier one; a zero binding removes it. Binding a certificate
// clears the account's identity number in the same statement; removing the
// binding keeps it. Use it for administrator actions; logins that bind on
// first use call BindCertificateIfUnbound.
func (s *Store) BindCertificate(ctx context.Context, id string, b CertBinding) error {
	b, err := normBinding(b)
	if err != nil {
		return err
	}
	set := "cert_subject = ?, cert_serial = ?, cert_issuer = ?"
	if !b.IsZero() {
		set += ", identity_number = ''"
	}
	return s.updateUser(ctx, "binding certificate", id, set, b.Subject, b.Serial, b.Issuer)
}

// BindCertificateIfUnbound registers b only when the account has no
// certificate yet, and returns the binding in effect afterwards. When two
// logins with different certificates race, exactly one binding wins; the
// caller compares the result with the certificate it holds. The statement
// that binds also clears the account's identity number, which has then
// served its purpose.
func (s *Store) BindCertificateIfUnbound(ctx context.Context, id string, b CertBinding) (CertBinding, error) {
	b, err := normBinding(b)
	if err != nil {
		return CertBinding{}, err
	}
	if b.IsZero() {
		return CertBinding{}, fmt.Errorf("%w: empty certificate binding", ErrInvalid)
	}
	var got CertBinding
	err = s.inTx(ctx, func(c conn) error {
		err := c.row(ctx, `SELECT cert_subject, cert_serial, cert_issuer FROM users WHERE user_id = ?`+c.forUpdate(), id).
			Scan(&got.Subject, &got.Serial, &got.Issuer)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("user %q: %w", id, ErrNotFound)
		}
		if err != nil || !got.IsZero() {
			return err
		}
		got = b
		_, err = c.exec(ctx, `UPDATE users SET cert_subject = ?, cert_serial = ?, cert_issuer = ?,
				identity_number = '', updated_at = ? WHERE user_id = ?`,
			b.Subject, b.Serial, b.Issuer, s.now().UnixMicro(), id)
		return err
	})
	if err != nil {
		return CertBinding{}, fmt.Errorf("store: binding certificate of user %q: %w", id, err)
	}
	return got, nil
}

// DeleteUser removes an account with its sessions and its address
// reservations, keeping its audit records. It returns the sessions that were
// still active, so the caller can remove their tunnel peers.
func (s *Store) DeleteUser(ctx context.Context, id string) ([]Session, error) {
	var active []Session
	err := s.inTx(ctx, func(c conn) error {
		var err error
		active, err = queryAll(ctx, c, scanSession, `SELECT `+sessionCols+` FROM sessions
			WHERE user_id = ? AND ended_at IS NULL ORDER BY created_at`, id)
		if err != nil {
			return err
		}
		// The user's sessions go with the user (ON DELETE CASCADE), and
		// every lease the user holds or last held goes with them.
		if _, err := c.exec(ctx, `DELETE FROM leases WHERE user_id = ?`, id); err != nil {
			return err
		}
		err = oneRow(c.exec(ctx, `DELETE FROM users WHERE user_id = ?`, id))
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("user %q: %w", id, ErrNotFound)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: deleting user %q: %w", id, err)
	}
	return active, nil
}
