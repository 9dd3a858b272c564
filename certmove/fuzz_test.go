package certmove

import (
	"bytes"
	"strings"
	"testing"

	"github.com/opensvpn/svpn/certmove/cpace"
)

// FuzzSplitLV: the framing of the relayed messages (lv_cat) parses any
// input without panicking, and what it accepts re-encodes to the input.
func FuzzSplitLV(f *testing.F) {
	f.Add([]byte{}, uint8(2))
	f.Add(cpace.LVCat([]byte("Ya"), []byte("ADa")), uint8(2))
	f.Add(cpace.LVCat(make([]byte, 32), make([]byte, 200), make([]byte, 64)), uint8(3))
	f.Add([]byte{0x80, 0x80, 0x80, 0x80, 0x01}, uint8(1))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0x0f}, uint8(1))
	f.Fuzz(func(t *testing.T, b []byte, n uint8) {
		k := int(n%4) + 1
		parts, err := splitLV(b, k)
		if err != nil {
			return
		}
		if len(parts) != k {
			t.Fatalf("%d parts, asked %d", len(parts), k)
		}
		// Minimal LEB128 re-encodes byte-identically; an overlong
		// length prefix is accepted but must still describe the parts.
		re := cpace.LVCat(parts...)
		if len(re) > len(b) {
			t.Fatalf("parts longer than the input")
		}
		total := 0
		for _, p := range parts {
			total += len(p)
		}
		if total > len(b) {
			t.Fatal("parts exceed input")
		}
		if bytes.Equal(re, b) {
			return
		}
		if len(b)-total <= len(parts) {
			t.Fatalf("non-minimal framing not detected as such: %x", b)
		}
	})
}

// FuzzParseCode: any typed text parses or is refused with a code; what
// parses has 12 digits with a valid check digit and prints back parsably.
func FuzzParseCode(f *testing.F) {
	for _, s := range []string{"4821-0937-5519", "", "0000-0000-0000", "１２３４-５６７８-９０１２", "12345678901x", strings.Repeat("9", 40)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCode(s)
		if err != nil {
			return
		}
		if len(c.digits) != CodeDigits || luhn(c.digits[:11]) != c.digits[11] {
			t.Fatalf("%q parsed to %q", s, c.digits)
		}
		again, err := ParseCode(c.String())
		if err != nil || again != c {
			t.Fatalf("%q: round trip %v", s, err)
		}
	})
}
