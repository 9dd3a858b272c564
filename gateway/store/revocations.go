package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Revocation is a certificate the gateway refuses regardless of any CRL: an
// administrator's `cert revoke`.
type Revocation struct {
	Serial    string // lower-case hex without leading zeros (see NormalizeSerial)
	Issuer    string // issuer DN as the certificate validator formats it; "" matches any issuer
	Reason    string
	RevokedAt time.Time
}

// maxSerialDigits allows serials up to 32 bytes; RFC 5280 says 20, but
// some Korean CAs have issued longer ones.
const maxSerialDigits = 64

// NormalizeSerial turns a certificate serial number as people and tools
// write it ("0x00A1:B2", "a1 b2", "00a1b2") into the stored form, lower-case
// hex without separators or leading zeros ("a1b2"), the same as
// x509.Certificate.SerialNumber.Text(16) for a non-negative serial.
func NormalizeSerial(serial string) (string, error) {
	s := strings.TrimSpace(serial)
	if len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		s = s[2:]
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f':
			b.WriteByte(c)
		case 'A' <= c && c <= 'F':
			b.WriteByte(c + 'a' - 'A')
		case c == ':' || c == ' ' || c == '-':
		default:
			return "", fmt.Errorf("%w: serial %q is not hexadecimal", ErrInvalid, serial)
		}
	}
	out := strings.TrimLeft(b.String(), "0")
	switch {
	case b.Len() == 0:
		return "", fmt.Errorf("%w: empty serial", ErrInvalid)
	case len(out) > maxSerialDigits:
		return "", fmt.Errorf("%w: serial %q is too long", ErrInvalid, serial)
	case out == "":
		return "0", nil
	}
	return out, nil
}

// RevokeCertificate records a revocation. Revoking a certificate again keeps
// the first record.
func (s *Store) RevokeCertificate(ctx context.Context, r Revocation) error {
	serial, err := NormalizeSerial(r.Serial)
	if err != nil {
		return err
	}
	if r.RevokedAt.IsZero() {
		r.RevokedAt = s.now()
	}
	_, err = s.writer().exec(ctx, `INSERT INTO revoked_certs (serial, issuer, reason, revoked_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (serial, issuer) DO NOTHING`,
		serial, r.Issuer, r.Reason, utc(r.RevokedAt).UnixMicro())
	if err != nil {
		return fmt.Errorf("store: revoking certificate %s: %w", serial, err)
	}
	return nil
}

// IsRevoked reports whether the certificate with this serial from this
// issuer is revoked, by a record for that issuer or one for any issuer.
func (s *Store) IsRevoked(ctx context.Context, serial, issuer string) (bool, error) {
	serial, err := NormalizeSerial(serial)
	if err != nil {
		return false, err
	}
	var n int
	err = s.reader().row(ctx, `SELECT COUNT(*) FROM revoked_certs WHERE serial = ? AND (issuer = ? OR issuer = '')`,
		serial, issuer).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: checking revocation of %s: %w", serial, err)
	}
	return n > 0, nil
}

// ListRevoked returns every revocation, newest first.
func (s *Store) ListRevoked(ctx context.Context) ([]Revocation, error) {
	rs, err := queryAll(ctx, s.reader(), func(r scanner) (Revocation, error) {
		var v Revocation
		var at int64
		err := r.Scan(&v.Serial, &v.Issuer, &v.Reason, &at)
		v.RevokedAt = microTime(at)
		return v, err
	}, `SELECT serial, issuer, reason, revoked_at FROM revoked_certs ORDER BY revoked_at DESC, serial, issuer`)
	if err != nil {
		return nil, fmt.Errorf("store: listing revocations: %w", err)
	}
	return rs, nil
}
