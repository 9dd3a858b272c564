package certmove

import (
	"testing"

	"github.com/opensvpn/svpn/api"
)

func TestLuhn(t *testing.T) {
	// Known Luhn numbers: 7992739871 + 3, 4539 1488 0343 6467 (a test card).
	if luhn("7992739871") != '3' {
		t.Fatal("luhn(7992739871) != 3")
	}
	if luhn("453914880343646") != '7' {
		t.Fatal("luhn(453914880343646) != 7")
	}
}

func TestCodeRoundTrip(t *testing.T) {
	for range 200 {
		c, err := NewCode("482")
		if err != nil {
			t.Fatal(err)
		}
		s := c.String()
		if len(s) != 14 || s[4] != '-' || s[9] != '-' || s[:3] != "482" {
			t.Fatalf("format %q", s)
		}
		p, err := ParseCode(s)
		if err != nil || p != c {
			t.Fatalf("%s: %v", s, err)
		}
		if p.Slot() != "482" {
			t.Fatal(p.Slot())
		}
	}
}

func TestParseCodeCatchesTypos(t *testing.T) {
	c, _ := NewCode("123")
	good := c.digits
	if _, err := ParseCode(" " + good[:4] + " " + good[4:8] + "-" + good[8:] + "\n"); err != nil {
		t.Fatalf("separators: %v", err)
	}
	// Every single-digit change and every swap of two adjacent different
	// digits (other than 0<->9, Luhn's one blind spot) is caught.
	for i := range CodeDigits {
		for d := byte('0'); d <= '9'; d++ {
			if d == good[i] {
				continue
			}
			bad := []byte(good)
			bad[i] = d
			if _, err := ParseCode(string(bad)); api.CodeOf(err) != api.CodeCertMoveCodeInvalid {
				t.Fatalf("%s (digit %d changed) accepted", bad, i)
			}
		}
	}
	for i := range CodeDigits - 1 {
		a, b := good[i], good[i+1]
		if a == b || (a == '0' && b == '9') || (a == '9' && b == '0') {
			continue
		}
		bad := []byte(good)
		bad[i], bad[i+1] = b, a
		if _, err := ParseCode(string(bad)); api.CodeOf(err) != api.CodeCertMoveCodeInvalid {
			t.Fatalf("%s (swap at %d) accepted", bad, i)
		}
	}
	for _, s := range []string{"", "1234", "1234-5678-90123", "abcd-efgh-ijkl", good + "0", good[:11]} {
		if _, err := ParseCode(s); api.CodeOf(err) != api.CodeCertMoveCodeInvalid {
			t.Errorf("%q accepted: %v", s, err)
		}
	}
	full := ""
	for _, r := range good {
		full += string('０' + (r - '0'))
	}
	if _, err := ParseCode(full); err != nil {
		t.Errorf("full-width digits: %v", err)
	}
	if _, err := NewCode("12"); err == nil {
		t.Error("a two-digit slot accepted")
	}
}

func TestDocumentedCodeIsValid(t *testing.T) {
	// The example in the README and the doc comment.
	if c, err := ParseCode("4821-0937-5519"); err != nil || c.Slot() != "482" {
		t.Fatalf("%v %v", c, err)
	}
}
