package aria

import "encoding/binary"

// rotations are the right-rotation amounts of RFC 5794 section 2.2 for the
// round keys ek1..ek4 (>>> 19), ek5..ek8 (>>> 31), ek9..ek12 (<<< 61),
// ek13..ek16 (<<< 31) and ek17 (<<< 19), left rotations written as right
// rotations by 128-n.
var rotations = [5]uint{19, 31, 128 - 61, 128 - 31, 128 - 19}

// expandKey runs the key schedule of RFC 5794 section 2.2 and derives the
// decryption round keys.
func (c *ariaCipher) expandKey(key []byte) {
	var kl, kr [4]uint32
	for i := range 4 {
		kl[i] = binary.BigEndian.Uint32(key[4*i:])
		if 16+4*i < len(key) {
			kr[i] = binary.BigEndian.Uint32(key[16+4*i:])
		}
	}
	var ck1, ck2, ck3 *[4]uint32
	switch len(key) {
	case 16:
		c.rounds, ck1, ck2, ck3 = 12, &c1, &c2, &c3
	case 24:
		c.rounds, ck1, ck2, ck3 = 14, &c2, &c3, &c1
	default:
		c.rounds, ck1, ck2, ck3 = 16, &c3, &c1, &c2
	}

	var w [4][4]uint32
	w[0] = kl
	w[1] = xor(roundFO(w[0], ck1), kr)
	w[2] = xor(roundFE(w[1], ck2), w[0])
	w[3] = xor(roundFO(w[2], ck3), w[1])

	n := c.rounds
	for i := 0; i <= n; i++ {
		j := i % 4
		c.enc[i] = xor(w[j], rotr128(w[(j+1)%4], rotations[i/4]))
	}

	c.dec[0] = c.enc[n]
	for i := 1; i < n; i++ {
		k := &c.enc[n-i]
		c.dec[i][0], c.dec[i][1], c.dec[i][2], c.dec[i][3] = diffuse(k[0], k[1], k[2], k[3])
	}
	c.dec[n] = c.enc[0]
}

func roundFO(x [4]uint32, k *[4]uint32) (y [4]uint32) {
	y[0], y[1], y[2], y[3] = fo(x[0], x[1], x[2], x[3], k)
	return
}

func roundFE(x [4]uint32, k *[4]uint32) (y [4]uint32) {
	y[0], y[1], y[2], y[3] = fe(x[0], x[1], x[2], x[3], k)
	return
}

func xor(a, b [4]uint32) [4]uint32 {
	return [4]uint32{a[0] ^ b[0], a[1] ^ b[1], a[2] ^ b[2], a[3] ^ b[3]}
}

// rotr128 rotates the 128-bit big-endian value x right by n bits, n < 128.
func rotr128(x [4]uint32, n uint) [4]uint32 {
	hi := uint64(x[0])<<32 | uint64(x[1])
	lo := uint64(x[2])<<32 | uint64(x[3])
	if n >= 64 {
		hi, lo = lo, hi
		n -= 64
	}
	if n > 0 {
		hi, lo = hi>>n|lo<<(64-n), lo>>n|hi<<(64-n)
	}
	return [4]uint32{uint32(hi >> 32), uint32(hi), uint32(lo >> 32), uint32(lo)}
}
