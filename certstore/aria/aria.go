// Package aria implements the ARIA block cipher (RFC 5794, KS X 1213) as a
// crypto/cipher.Block.
//
// ARIA is a 128-bit block cipher with 128-, 192- and 256-bit keys
// (12, 14 and 16 rounds), the Korean national standard after SEED. It is
// used here for private keys encrypted under PBES2 with an ARIA-CBC
// encryption scheme (OIDs 1.2.410.200046.1.1.2 for aria128-cbc, .1.1.7 for
// aria192-cbc and .1.1.12 for aria256-cbc); no Go module offering ARIA is
// available through the module proxy, so this implementation is written
// from the RFC.
//
// Combine it with crypto/cipher for modes of operation. Like other pure-Go
// table ciphers it is not constant-time with respect to cache timing.
package aria

import (
	"crypto/cipher"
	"encoding/binary"
	"strconv"
)

// BlockSize is the ARIA block size in bytes.
const BlockSize = 16

// KeySizeError is returned by NewCipher for a key that is not 16, 24 or 32
// bytes long.
type KeySizeError int

func (k KeySizeError) Error() string {
	return "crypto/aria: invalid key size " + strconv.Itoa(int(k))
}

// ariaCipher holds the encryption and decryption round keys; only the first
// rounds+1 of each are used.
type ariaCipher struct {
	rounds int
	enc    [17][4]uint32
	dec    [17][4]uint32
}

// NewCipher returns an ARIA cipher.Block. The key must be 16, 24 or 32
// bytes long, selecting ARIA-128, ARIA-192 or ARIA-256.
func NewCipher(key []byte) (cipher.Block, error) {
	switch len(key) {
	case 16, 24, 32:
	default:
		return nil, KeySizeError(len(key))
	}
	c := new(ariaCipher)
	c.expandKey(key)
	return c, nil
}

func (c *ariaCipher) BlockSize() int { return BlockSize }

// Encrypt encrypts the first block of src into dst. dst and src may be the
// same slice (the block is read completely before anything is written).
func (c *ariaCipher) Encrypt(dst, src []byte) {
	checkBlocks(dst, src)
	crypt(&c.enc, c.rounds, dst, src)
}

// Decrypt decrypts the first block of src into dst. dst and src may be the
// same slice.
func (c *ariaCipher) Decrypt(dst, src []byte) {
	checkBlocks(dst, src)
	crypt(&c.dec, c.rounds, dst, src)
}

func checkBlocks(dst, src []byte) {
	if len(src) < BlockSize {
		panic("crypto/aria: input not full block")
	}
	if len(dst) < BlockSize {
		panic("crypto/aria: output not full block")
	}
}

// crypt runs the ARIA rounds (RFC 5794 section 2.3): odd rounds FO, even
// rounds FE, and a last round of SL2 between two round keys instead of FE.
// Decryption is the same procedure with the decryption round keys.
func crypt(rk *[17][4]uint32, rounds int, dst, src []byte) {
	x0 := binary.BigEndian.Uint32(src[0:])
	x1 := binary.BigEndian.Uint32(src[4:])
	x2 := binary.BigEndian.Uint32(src[8:])
	x3 := binary.BigEndian.Uint32(src[12:])
	for r := 0; r < rounds-2; r += 2 {
		x0, x1, x2, x3 = fo(x0, x1, x2, x3, &rk[r])
		x0, x1, x2, x3 = fe(x0, x1, x2, x3, &rk[r+1])
	}
	x0, x1, x2, x3 = fo(x0, x1, x2, x3, &rk[rounds-2])
	k, last := &rk[rounds-1], &rk[rounds]
	x0 = subst(sl2, x0^k[0]) ^ last[0]
	x1 = subst(sl2, x1^k[1]) ^ last[1]
	x2 = subst(sl2, x2^k[2]) ^ last[2]
	x3 = subst(sl2, x3^k[3]) ^ last[3]
	_ = dst[15]
	binary.BigEndian.PutUint32(dst[0:], x0)
	binary.BigEndian.PutUint32(dst[4:], x1)
	binary.BigEndian.PutUint32(dst[8:], x2)
	binary.BigEndian.PutUint32(dst[12:], x3)
}
