package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// identityNumberDigits is the length of a Korean resident registration
// number (or a foreigner's registration number) without its dash.
const identityNumberDigits = 13

// NormalizeIdentityNumber checks a resident/identity number as an
// administrator types it: 13 digits, dashes allowed anywhere (YYMMDD-NNNNNNN)
// and removed. The error does not repeat the number.
func NormalizeIdentityNumber(n string) (string, error) {
	digits := strings.ReplaceAll(n, "-", "")
	if len(digits) != identityNumberDigits {
		return "", fmt.Errorf("%w: an identity number has %d digits (dashes allowed)", ErrInvalid, identityNumberDigits)
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return "", fmt.Errorf("%w: an identity number has only digits and dashes", ErrInvalid)
		}
	}
	return digits, nil
}

// SetIdentityNumber registers the identity number the first-login binding
// checks the certificate's VID against; "" removes it. An account that
// already has a certificate bound keeps none (ErrInvalid): the number would
// serve no purpose there.
func (s *Store) SetIdentityNumber(ctx context.Context, id, number string) error {
	if number != "" {
		var err error
		if number, err = NormalizeIdentityNumber(number); err != nil {
			return err
		}
	}
	// One conditional statement, so a binding that lands at the same time
	// cannot be followed by a number it would have cleared.
	err := oneRow(s.writer().exec(ctx, `UPDATE users SET identity_number = ?, updated_at = ?
		WHERE user_id = ? AND (? = '' OR (cert_subject = '' AND cert_serial = '' AND cert_issuer = ''))`,
		number, s.now().UnixMicro(), id, number))
	if errors.Is(err, ErrNotFound) {
		if _, gerr := s.GetUser(ctx, id); gerr != nil {
			return gerr
		}
		return fmt.Errorf("%w: user %q already has a certificate bound; an identity number is only kept until the first-login binding", ErrInvalid, id)
	}
	if err != nil {
		return fmt.Errorf("store: setting identity number of user %q: %w", id, err)
	}
	return nil
}
