// Package seed implements the SEED block cipher (RFC 4269) as a
// crypto/cipher.Block.
//
// SEED is a 128-bit block, 128-bit key, 16-round Feistel cipher designed by
// KISA and standardised in Korea (TTAS.KO-12.0004). It exists in this
// repository because the private keys of Korean NPKI certificates
// (signPri.key) are encrypted with SEED-CBC under PBES, and no Go module
// providing the Korean ciphers is available through the module proxy, so
// we carry our own implementation written from the RFC.
//
// Combine it with crypto/cipher (for example cipher.NewCBCDecrypter) for the
// modes of operation. The implementation is table-driven and, like the
// other pure-Go table ciphers, not constant-time with respect to cache
// timing; it is meant for decrypting key files, not for bulk traffic.
package seed

import (
	"crypto/cipher"
	"encoding/binary"
	"strconv"
)

// BlockSize is the SEED block size in bytes.
const BlockSize = 16

// KeySize is the only SEED key size in bytes.
const KeySize = 16

// KeySizeError is returned by NewCipher for a key that is not 16 bytes long.
type KeySizeError int

func (k KeySizeError) Error() string {
	return "crypto/seed: invalid key size " + strconv.Itoa(int(k))
}

// seedCipher holds the expanded key: K(i,0), K(i,1) for rounds i = 1..16.
type seedCipher struct {
	rk [32]uint32
}

// NewCipher returns a SEED cipher.Block for the given 16-byte key.
func NewCipher(key []byte) (cipher.Block, error) {
	if len(key) != KeySize {
		return nil, KeySizeError(len(key))
	}
	c := new(seedCipher)
	expandKey(&c.rk, key)
	return c, nil
}

func (c *seedCipher) BlockSize() int { return BlockSize }

// Encrypt encrypts the first block of src into dst. dst and src may be the
// same slice (the block is read completely before anything is written).
func (c *seedCipher) Encrypt(dst, src []byte) {
	checkBlocks(dst, src)
	crypt(&c.rk, dst, src, false)
}

// Decrypt decrypts the first block of src into dst. dst and src may be the
// same slice.
func (c *seedCipher) Decrypt(dst, src []byte) {
	checkBlocks(dst, src)
	crypt(&c.rk, dst, src, true)
}

func checkBlocks(dst, src []byte) {
	if len(src) < BlockSize {
		panic("crypto/seed: input not full block")
	}
	if len(dst) < BlockSize {
		panic("crypto/seed: output not full block")
	}
}

// g is the function G of RFC 4269 section 2.2 in its SS-box form.
func g(x uint32) uint32 {
	return ss[0][byte(x)] ^ ss[1][byte(x>>8)] ^ ss[2][byte(x>>16)] ^ ss[3][x>>24]
}

// f is the round function F of RFC 4269 section 2.1 applied to the right
// half c||d with round key k0||k1; it returns C'||D'.
func f(c, d, k0, k1 uint32) (uint32, uint32) {
	c ^= k0
	d ^= k1
	t1 := g(c ^ d)
	t2 := g(t1 + c)
	t3 := g(t2 + t1)
	return t3 + t2, t3
}

// expandKey runs the key schedule of RFC 4269 section 2.3.
func expandKey(rk *[32]uint32, key []byte) {
	k0 := binary.BigEndian.Uint32(key[0:])
	k1 := binary.BigEndian.Uint32(key[4:])
	k2 := binary.BigEndian.Uint32(key[8:])
	k3 := binary.BigEndian.Uint32(key[12:])
	for i := range 16 {
		rk[2*i] = g(k0 + k2 - kc[i])
		rk[2*i+1] = g(k1 - k3 + kc[i])
		if i%2 == 0 {
			// Odd rounds (1-based): Key0||Key1 rotated right by 8 bits.
			k0, k1 = k0>>8|k1<<24, k1>>8|k0<<24
		} else {
			// Even rounds: Key2||Key3 rotated left by 8 bits.
			k2, k3 = k2<<8|k3>>24, k3<<8|k2>>24
		}
	}
}

// crypt runs the 16 Feistel rounds, two per iteration so that the halves
// need no swapping. Decryption is the same network with the round keys in
// reverse order.
func crypt(rk *[32]uint32, dst, src []byte, decrypt bool) {
	l0 := binary.BigEndian.Uint32(src[0:])
	l1 := binary.BigEndian.Uint32(src[4:])
	r0 := binary.BigEndian.Uint32(src[8:])
	r1 := binary.BigEndian.Uint32(src[12:])
	if !decrypt {
		for i := 0; i < 32; i += 4 {
			t0, t1 := f(r0, r1, rk[i], rk[i+1])
			l0 ^= t0
			l1 ^= t1
			t0, t1 = f(l0, l1, rk[i+2], rk[i+3])
			r0 ^= t0
			r1 ^= t1
		}
	} else {
		for i := 30; i > 0; i -= 4 {
			t0, t1 := f(r0, r1, rk[i], rk[i+1])
			l0 ^= t0
			l1 ^= t1
			t0, t1 = f(l0, l1, rk[i-2], rk[i-1])
			r0 ^= t0
			r1 ^= t1
		}
	}
	// The last round has no swap: the output is R16||L16.
	_ = dst[15]
	binary.BigEndian.PutUint32(dst[0:], r0)
	binary.BigEndian.PutUint32(dst[4:], r1)
	binary.BigEndian.PutUint32(dst[8:], l0)
	binary.BigEndian.PutUint32(dst[12:], l1)
}
