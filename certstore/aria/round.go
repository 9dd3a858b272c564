package aria

import "math/bits"

// The state is four big-endian words X0..X3 holding bytes x0..x15.

// subst applies one substitution layer to a word.
func subst(t *[4][256]uint32, w uint32) uint32 {
	return t[0][w>>24] | t[1][byte(w>>16)] | t[2][byte(w>>8)] | t[3][byte(w)]
}

// fo is the odd round function FO(D, RK) = A(SL1(D ^ RK)).
func fo(x0, x1, x2, x3 uint32, k *[4]uint32) (uint32, uint32, uint32, uint32) {
	return diffuse(subst(sl1, x0^k[0]), subst(sl1, x1^k[1]), subst(sl1, x2^k[2]), subst(sl1, x3^k[3]))
}

// fe is the even round function FE(D, RK) = A(SL2(D ^ RK)).
func fe(x0, x1, x2, x3 uint32, k *[4]uint32) (uint32, uint32, uint32, uint32) {
	return diffuse(subst(sl2, x0^k[0]), subst(sl2, x1^k[1]), subst(sl2, x2^k[2]), subst(sl2, x3^k[3]))
}

// diffuse is the diffusion layer A of RFC 5794 section 2.4.3, computed on
// words instead of the sixteen byte equations.
//
// With the byte permutations of a word P1 (b1 b0 b3 b2), P2 (b2 b3 b0 b1)
// and R (b3 b2 b1 b0), the byte equations of A read, per output word,
//
//	Yi = gi(Xi) ^ sum over j != i of (gk + gl)(Xj),  {k, l} = {0..3} \ {i, j}
//
// with g0 = R, g1 = P1, g2 = P2, g3 = identity. Writing S = X0^X1^X2^X3,
// U = g0(X0)^g1(X1)^g2(X2)^g3(X3) and Σ = 1+P1+P2+R (every byte becomes
// the XOR of the word's four bytes), this collapses to
//
//	Yi = Σ(S ^ Xi) ^ gi(S ^ Xi) ^ U.
//
// diffuse_test.go checks it against the byte equations.
func diffuse(x0, x1, x2, x3 uint32) (y0, y1, y2, y3 uint32) {
	s := x0 ^ x1 ^ x2 ^ x3
	u := bits.ReverseBytes32(x0) ^ swapPairs(x1) ^ bits.RotateLeft32(x2, 16) ^ x3
	z0, z1, z2, z3 := s^x0, s^x1, s^x2, s^x3
	y0 = sigma(z0) ^ bits.ReverseBytes32(z0) ^ u
	y1 = sigma(z1) ^ swapPairs(z1) ^ u
	y2 = sigma(z2) ^ bits.RotateLeft32(z2, 16) ^ u
	y3 = sigma(z3) ^ z3 ^ u
	return
}

// swapPairs is P1: it swaps the bytes within each 16-bit half.
func swapPairs(w uint32) uint32 {
	return (w&0x00ff00ff)<<8 | (w>>8)&0x00ff00ff
}

// sigma sets every byte of w to the XOR of its four bytes.
func sigma(w uint32) uint32 {
	w ^= w >> 16
	w ^= w >> 8
	return (w & 0xff) * 0x01010101
}
