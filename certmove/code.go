package certmove

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"

	"github.com/opensvpn/svpn/api"
)

// A code is what the sender shows and the receiver types: 12 digits in
// three groups, 4821-0937-5519:
//
//	digits 1-3   the slot, chosen by the relay (public: the relay knows it)
//	digits 4-11  8 secret digits, chosen by the sender's front end; they
//	             never leave the two front ends
//	digit 12     a Luhn check digit over the other 11, so a typo is caught
//	             before an online attempt is spent
//
// The whole code is CPace's password (PRS). 8 secret digits are 26.6 bits:
// far too few against an offline search, which CPace rules out, and plenty
// against the one online guess a slot allows (it burns on a failed key
// confirmation).
const (
	CodeDigits   = 12
	SlotDigits   = 3
	SecretDigits = 8
)

// Code is a parsed code.
type Code struct {
	digits string // 12 digits, no separators
}

// Slot is the code's slot part, sent to the relay.
func (c Code) Slot() string { return c.digits[:SlotDigits] }

// String is the code as shown: 4821-0937-5519.
func (c Code) String() string {
	d := c.digits
	return d[0:4] + "-" + d[4:8] + "-" + d[8:12]
}

// prs is CPace's password: the 12 ASCII digits.
func (c Code) prs() []byte { return []byte(c.digits) }

// luhn returns the Luhn check digit for digits (the digit that makes
// digits+check pass the Luhn test).
func luhn(digits string) byte {
	sum := 0
	double := true // the rightmost payload digit is doubled
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return byte('0' + (10-sum%10)%10)
}

// NewCode makes a code for slot with fresh secret digits from crypto/rand.
func NewCode(slot string) (Code, error) {
	if len(slot) != SlotDigits || !allDigits(slot) {
		return Code{}, api.Errorf(api.CodeCertMoveProtocol, "the relay gave slot %q, not %d digits", slot, SlotDigits)
	}
	n, err := rand.Int(rand.Reader, big.NewInt(100_000_000))
	if err != nil {
		return Code{}, err
	}
	body := slot + fmt.Sprintf("%08d", n.Int64())
	return Code{digits: body + string(luhn(body))}, nil
}

// ParseCode reads a typed code: 12 digits, with any spaces or dashes
// between them, whose last digit is the Luhn check digit of the others.
func ParseCode(s string) (Code, error) {
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '０' && r <= '９': // full-width digits from a Korean IME
			b.WriteRune('0' + (r - '０'))
		case r == '-' || r == ' ' || r == '‐' || r == '–':
		default:
			return Code{}, api.Errorf(api.CodeCertMoveCodeInvalid, "the code holds %q; it is 12 digits", r)
		}
	}
	d := b.String()
	if len(d) != CodeDigits {
		return Code{}, api.Errorf(api.CodeCertMoveCodeInvalid, "the code has %d digits, not %d", len(d), CodeDigits)
	}
	if luhn(d[:CodeDigits-1]) != d[CodeDigits-1] {
		return Code{}, api.Errorf(api.CodeCertMoveCodeInvalid, "the code's check digit does not match: a digit was mistyped")
	}
	return Code{digits: d}, nil
}

func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
