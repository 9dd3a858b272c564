package aria

import (
	"crypto/cipher"
	"errors"
	"fmt"
	"testing"

	"github.com/opensvpn/svpn/internal/blocktest"
)

// RFC 5794, Appendix A.
var rfcVectors = []blocktest.Vector{
	{Name: "A.1 128-bit key", Key: "000102030405060708090a0b0c0d0e0f",
		Plaintext: "00112233445566778899aabbccddeeff", Ciphertext: "d718fbd6ab644c739da95f3be6451778"},
	{Name: "A.2 192-bit key", Key: "000102030405060708090a0b0c0d0e0f1011121314151617",
		Plaintext: "00112233445566778899aabbccddeeff", Ciphertext: "26449c1805dbe7aa25a468ce263a9e79"},
	{Name: "A.3 256-bit key", Key: "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		Plaintext: "00112233445566778899aabbccddeeff", Ciphertext: "f92bd7c79fb72e2f2b8f80c1972d24fc"},
}

func newCipher(key []byte) (cipher.Block, error) { return NewCipher(key) }

func TestKnownAnswers(t *testing.T) { blocktest.KnownAnswers(t, newCipher, rfcVectors) }

func TestKeySizeError(t *testing.T) {
	for _, n := range []int{0, 1, 8, 15, 17, 20, 23, 25, 31, 33, 64} {
		c, err := NewCipher(make([]byte, n))
		var kse KeySizeError
		if !errors.As(err, &kse) || int(kse) != n || c != nil {
			t.Errorf("NewCipher(%d bytes) = %v, %v; want KeySizeError(%d)", n, c, err, n)
		}
	}
	for _, n := range []int{16, 24, 32} {
		if _, err := NewCipher(make([]byte, n)); err != nil {
			t.Errorf("NewCipher(%d bytes): %v", n, err)
		}
	}
	if got, want := KeySizeError(5).Error(), "crypto/aria: invalid key size 5"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestShortBuffersPanic(t *testing.T) {
	c, _ := NewCipher(make([]byte, 16))
	blocktest.ShortBuffersPanic(t, c, "crypto/aria")
}

func TestRandomRoundTrip(t *testing.T) {
	blocktest.RandomRoundTrips(t, newCipher, []int{16, 24, 32}, 700)
}

func TestCBCRoundTrip(t *testing.T) {
	for _, v := range rfcVectors {
		c, _ := NewCipher(blocktest.Unhex(t, v.Key))
		blocktest.CBC(t, c)
	}
}

func TestNoAllocations(t *testing.T) {
	c, _ := NewCipher(make([]byte, 32))
	blocktest.NoAllocations(t, c)
}

func benchmarkBlocks(b *testing.B, decrypt bool) {
	for _, v := range rfcVectors {
		key := blocktest.Unhex(b, v.Key)
		b.Run(fmt.Sprint(8*len(key)), func(b *testing.B) {
			c, _ := NewCipher(key)
			blocktest.Blocks(b, c, decrypt)
		})
	}
}

func BenchmarkEncrypt(b *testing.B) { benchmarkBlocks(b, false) }
func BenchmarkDecrypt(b *testing.B) { benchmarkBlocks(b, true) }

func BenchmarkKeySchedule(b *testing.B) {
	for _, v := range rfcVectors {
		key := blocktest.Unhex(b, v.Key)
		b.Run(fmt.Sprint(8*len(key)), func(b *testing.B) { blocktest.KeySchedule(b, newCipher, key) })
	}
}
