package seed

import (
	"math/bits"
	"testing"
)

// RFC 4269 section 2.2 masks.
const m0, m1, m2, m3 = 0xfc, 0xf3, 0xcf, 0x3f

// sboxes recovers S1 and S2 from SS0 and SS1 (m0|m3 covers all bits).
func sboxes() (s1, s2 [256]byte) {
	for x := range 256 {
		s1[x] = byte(ss[0][x]) | byte(ss[0][x]>>24)
		s2[x] = byte(ss[1][x]>>24) | byte(ss[1][x]>>16)
	}
	return
}

func word(z3, z2, z1, z0 byte) uint32 {
	return uint32(z3)<<24 | uint32(z2)<<16 | uint32(z1)<<8 | uint32(z0)
}

// The SS-boxes must be exactly S1/S2 spread by the masks of the G function:
// Zj takes S(Xi) & m((i+j) mod 4), with S1 for X0, X2 and S2 for X1, X3.
func TestSSBoxesMatchG(t *testing.T) {
	s1, s2 := sboxes()
	for x := range 256 {
		a, b := s1[x], s2[x]
		want := [4]uint32{
			word(a&m3, a&m2, a&m1, a&m0),
			word(b&m0, b&m3, b&m2, b&m1),
			word(a&m1, a&m0, a&m3, a&m2),
			word(b&m2, b&m1, b&m0, b&m3),
		}
		for i := range 4 {
			if ss[i][x] != want[i] {
				t.Fatalf("SS%d[%#02x] = %08x, want %08x", i, x, ss[i][x], want[i])
			}
		}
	}
	// A few SS0 entries as printed in RFC 4269 Appendix A.
	for _, tc := range []struct {
		idx  int
		want uint32
	}{
		{0, 0x2989a1a8}, {1, 0x05858184}, {13, 0x3cccf0fc}, {31, 0x2ecee2ec},
		{128, 0x02020200}, {135, 0x10c0d0d0},
	} {
		if got := ss[0][tc.idx]; got != tc.want {
			t.Errorf("SS0[%d] = %08x, want %08x", tc.idx, got, tc.want)
		}
	}
}

// gfMul multiplies in GF(2^8) modulo x^8+x^6+x^5+x+1, SEED's field.
func gfMul(a, b byte) byte {
	var r byte
	for b != 0 {
		if b&1 != 0 {
			r ^= a
		}
		hi := a & 0x80
		a <<= 1
		if hi != 0 {
			a ^= 0x63
		}
		b >>= 1
	}
	return r
}

func gfPow(a byte, e int) byte {
	r := byte(1)
	for range e {
		r = gfMul(r, a)
	}
	return r
}

// S1(x) = A1·x^247 ^ 169 and S2(x) = A2·x^251 ^ 56 for 8x8 binary
// matrices A1, A2: after removing the constant, each S-box must be a
// GF(2)-linear function of the field power. A single wrong table entry
// breaks this.
func TestSBoxStructure(t *testing.T) {
	s1, s2 := sboxes()
	for _, tc := range []struct {
		name  string
		s     [256]byte
		exp   int
		konst byte
	}{
		{"S1", s1, 247, 169},
		{"S2", s2, 251, 56},
	} {
		var lin [256]byte
		var seen [256]bool
		for x := range 256 {
			y := gfPow(byte(x), tc.exp)
			if seen[y] {
				t.Fatalf("%s: x^%d is not a permutation", tc.name, tc.exp)
			}
			seen[y] = true
			lin[y] = tc.s[x] ^ tc.konst
		}
		for a := range 256 {
			for b := range 256 {
				if lin[a^b] != lin[a]^lin[b] {
					t.Fatalf("%s is not affine in x^%d (at %#02x, %#02x)", tc.name, tc.exp, a, b)
				}
			}
		}
	}
}

func TestKC(t *testing.T) {
	for i, k := range kc {
		if want := bits.RotateLeft32(0x9e3779b9, i); k != want {
			t.Errorf("KC%d = %08x, want %08x", i, k, want)
		}
	}
}
