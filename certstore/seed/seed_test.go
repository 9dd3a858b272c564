package seed

import (
	"crypto/cipher"
	"errors"
	"testing"

	"github.com/opensvpn/svpn/internal/blocktest"
)

// RFC 4269, Appendix B.
var rfcVectors = []blocktest.Vector{
	{Name: "B.1", Key: "00000000000000000000000000000000", Plaintext: "000102030405060708090a0b0c0d0e0f", Ciphertext: "5ebac6e0054e166819aff1cc6d346cdb"},
	{Name: "B.2", Key: "000102030405060708090a0b0c0d0e0f", Plaintext: "00000000000000000000000000000000", Ciphertext: "c11f22f20140505084483597e4370f43"},
	{Name: "B.3", Key: "4706480851e61be85d74bfb3fd956185", Plaintext: "83a2f8a288641fb9a4e9a5cc2f131c7d", Ciphertext: "ee54d13ebcae706d226bc3142cd40d4a"},
	{Name: "B.4", Key: "28dbc3bc49ffd87dcfa509b11d422be7", Plaintext: "b41e6be2eba84a148e2eed84593c5ec7", Ciphertext: "9b9b7bfcd1813cb95d0b3618f40f5122"},
}

func newCipher(key []byte) (cipher.Block, error) { return NewCipher(key) }

func TestKnownAnswers(t *testing.T) { blocktest.KnownAnswers(t, newCipher, rfcVectors) }

func TestRoundKeys(t *testing.T) {
	var rk [32]uint32
	expandKey(&rk, make([]byte, 16))
	for _, tc := range []struct {
		idx  int
		want uint32
	}{
		{0, 0x7c8f8c7e}, {1, 0xc737a22c}, {30, 0x71891150}, {31, 0x98b255b0},
	} {
		if rk[tc.idx] != tc.want {
			t.Errorf("rk[%d] = %08x, want %08x", tc.idx, rk[tc.idx], tc.want)
		}
	}
}

func TestKeySizeError(t *testing.T) {
	for _, n := range []int{0, 1, 8, 15, 17, 24, 32} {
		c, err := NewCipher(make([]byte, n))
		var kse KeySizeError
		if !errors.As(err, &kse) || int(kse) != n || c != nil {
			t.Errorf("NewCipher(%d bytes) = %v, %v; want KeySizeError(%d)", n, c, err, n)
		}
	}
	if got, want := KeySizeError(5).Error(), "crypto/seed: invalid key size 5"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestShortBuffersPanic(t *testing.T) {
	c, _ := NewCipher(make([]byte, 16))
	blocktest.ShortBuffersPanic(t, c, "crypto/seed")
}

func TestRandomRoundTrip(t *testing.T) { blocktest.RandomRoundTrips(t, newCipher, []int{16}, 2000) }

func TestCBCRoundTrip(t *testing.T) {
	c, _ := NewCipher(blocktest.Unhex(t, rfcVectors[2].Key))
	blocktest.CBC(t, c)
}

func TestNoAllocations(t *testing.T) {
	c, _ := NewCipher(make([]byte, 16))
	blocktest.NoAllocations(t, c)
}

func BenchmarkEncrypt(b *testing.B) {
	c, _ := NewCipher(blocktest.Unhex(b, rfcVectors[2].Key))
	blocktest.Blocks(b, c, false)
}

func BenchmarkDecrypt(b *testing.B) {
	c, _ := NewCipher(blocktest.Unhex(b, rfcVectors[2].Key))
	blocktest.Blocks(b, c, true)
}

func BenchmarkKeySchedule(b *testing.B) {
	blocktest.KeySchedule(b, newCipher, blocktest.Unhex(b, rfcVectors[2].Key))
}
