package aria

import (
	"math/big"
	"math/rand/v2"
	"testing"
)

// diffusionRows is A of RFC 5794 section 2.4.3: output byte i is the XOR
// of the input bytes listed in row i.
var diffusionRows = [16][7]int{
	{3, 4, 6, 8, 9, 13, 14},
	{2, 5, 7, 8, 9, 12, 15},
	{1, 4, 6, 10, 11, 12, 15},
	{0, 5, 7, 10, 11, 13, 14},
	{0, 2, 5, 8, 11, 14, 15},
	{1, 3, 4, 9, 10, 14, 15},
	{0, 2, 7, 9, 10, 12, 13},
	{1, 3, 6, 8, 11, 12, 13},
	{0, 1, 4, 7, 10, 13, 15},
	{0, 1, 5, 6, 11, 12, 14},
	{2, 3, 5, 6, 8, 13, 15},
	{2, 3, 4, 7, 9, 12, 14},
	{1, 2, 6, 7, 9, 11, 12},
	{0, 3, 6, 7, 8, 10, 13},
	{0, 3, 4, 5, 9, 11, 14},
	{1, 2, 4, 5, 8, 10, 15},
}

func toBytes(w [4]uint32) (b [16]byte) {
	for i := range b {
		b[i] = byte(w[i/4] >> (24 - 8*(i%4)))
	}
	return
}

func TestDiffuseMatchesByteEquations(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	check := func(x [4]uint32) {
		var y [4]uint32
		y[0], y[1], y[2], y[3] = diffuse(x[0], x[1], x[2], x[3])
		in, got := toBytes(x), toBytes(y)
		for i, row := range diffusionRows {
			var want byte
			for _, j := range row {
				want ^= in[j]
			}
			if got[i] != want {
				t.Fatalf("A(%x) byte %d = %#02x, want %#02x", in, i, got[i], want)
			}
		}
		// A is an involution.
		var z [4]uint32
		z[0], z[1], z[2], z[3] = diffuse(y[0], y[1], y[2], y[3])
		if z != x {
			t.Fatalf("A(A(%x)) = %x", in, toBytes(z))
		}
	}
	// Every single-byte input pins one column of A exactly.
	for i := range 16 {
		var x [4]uint32
		x[i/4] = 0x80 << (24 - 8*(i%4))
		check(x)
	}
	for range 5000 {
		check([4]uint32{rng.Uint32(), rng.Uint32(), rng.Uint32(), rng.Uint32()})
	}
}

func TestRotr128(t *testing.T) {
	x := [4]uint32{0x00010203, 0x04050607, 0x08090a0b, 0x0c0d0e0f}
	v := new(big.Int).SetBytes(func() []byte { b := toBytes(x); return b[:] }())
	mask := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(1))
	for n := range uint(128) {
		want := new(big.Int).Rsh(v, n)
		want.Or(want, new(big.Int).Lsh(v, 128-n)).And(want, mask)
		b := toBytes(rotr128(x, n))
		if got := new(big.Int).SetBytes(b[:]); got.Cmp(want) != 0 {
			t.Fatalf("rotr128(x, %d) = %x, want %x", n, got, want)
		}
	}
}
