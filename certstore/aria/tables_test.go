package aria

import (
	"math/big"
	"testing"
)

// gfMul multiplies in GF(2^8) modulo x^8+x^4+x^3+x+1.
func gfMul(a, b byte) byte {
	var r byte
	for b != 0 {
		if b&1 != 0 {
			r ^= a
		}
		hi := a & 0x80
		a <<= 1
		if hi != 0 {
			a ^= 0x1b
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

// SB1 is the AES S-box: inversion followed by the AES affine map.
func TestSB1(t *testing.T) {
	for x := range 256 {
		inv := gfPow(byte(x), 254)
		want := inv ^ 0x63
		for i := 1; i <= 4; i++ {
			want ^= inv<<i | inv>>(8-i)
		}
		if sb1[x] != want {
			t.Fatalf("SB1[%#02x] = %#02x, want %#02x", x, sb1[x], want)
		}
	}
}

// SB2(x) = B·x^247 ^ 0xe2 for a binary 8x8 matrix B: without the
// constant it must be GF(2)-linear in x^247. A wrong entry breaks this.
func TestSB2Structure(t *testing.T) {
	var lin [256]byte
	var seen [256]bool
	for x := range 256 {
		y := gfPow(byte(x), 247)
		if seen[y] {
			t.Fatal("x^247 is not a permutation")
		}
		seen[y] = true
		lin[y] = sb2[x] ^ 0xe2
	}
	for a := range 256 {
		for b := range 256 {
			if lin[a^b] != lin[a]^lin[b] {
				t.Fatalf("SB2 is not affine in x^247 (at %#02x, %#02x)", a, b)
			}
		}
	}
}

// SL1 and SL2 hold SB1..SB4 in the right byte lanes, and SB3, SB4 invert
// SB1, SB2. Spot values are from the tables printed in RFC 5794.
func TestSubstitutionLayers(t *testing.T) {
	for x := range 256 {
		w := uint32(x) * 0x01010101
		a, b := subst(sl1, w), subst(sl2, w)
		if want := uint32(sb1[x])<<24 | uint32(sb2[x])<<16; a&0xffff0000 != want {
			t.Fatalf("SL1 lanes 0,1 for %#02x: %08x", x, a)
		}
		if b != a<<16|a>>16 {
			t.Fatalf("SL2(%#02x) = %08x, SL1 = %08x", x, b, a)
		}
		if sb1[byte(a>>8)] != byte(x) || sb2[byte(a)] != byte(x) {
			t.Fatalf("SB3/SB4 do not invert SB1/SB2 at %#02x", x)
		}
	}
	if a := subst(sl1, 0); a != 0x63e25230 {
		t.Errorf("SB1..SB4 at 0 = %08x, want 63e25230", a)
	}
	if a := subst(sl1, 0xffffffff); a != 0x16817d60 {
		t.Errorf("SB1..SB4 at ff = %08x, want 16817d60", a)
	}
}

// C1||C2||C3 are the first 384 bits of the fractional part of 1/pi.
func TestConstants(t *testing.T) {
	const prec = 384 + 64
	one := new(big.Int).Lsh(big.NewInt(1), prec)
	// arctan(1/n) * 2^prec by its Taylor series.
	arctan := func(n int64) *big.Int {
		sum, term := new(big.Int), new(big.Int).Div(one, big.NewInt(n))
		nn := big.NewInt(n * n)
		for k := int64(0); term.Sign() != 0; k++ {
			q := new(big.Int).Div(term, big.NewInt(2*k+1))
			if k%2 == 0 {
				sum.Add(sum, q)
			} else {
				sum.Sub(sum, q)
			}
			term.Div(term, nn)
		}
		return sum
	}
	// Machin: pi = 16 arctan(1/5) - 4 arctan(1/239).
	pi := new(big.Int).Sub(new(big.Int).Lsh(arctan(5), 4), new(big.Int).Lsh(arctan(239), 2))
	// frac(1/pi) = 1/pi; keep the top 384 bits below the binary point.
	inv := new(big.Int).Div(new(big.Int).Lsh(one, prec), pi)
	inv.Rsh(inv, prec-384)

	var want []byte
	for _, c := range [][4]uint32{c1, c2, c3} {
		b := toBytes(c)
		want = append(want, b[:]...)
	}
	if got := inv.FillBytes(make([]byte, 48)); string(got) != string(want) {
		t.Errorf("frac(1/pi) = %x\nC1||C2||C3 = %x", got, want)
	}
}
