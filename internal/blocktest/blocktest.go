// Package blocktest checks a crypto/cipher.Block implementation the same
// way for every cipher SVPN writes itself (SEED, ARIA): known answers,
// in-place use, key sizes, short-buffer panics, random round trips, CBC
// chaining, no allocations, and benchmarks.
package blocktest

import (
	"bytes"
	"crypto/cipher"
	"encoding/hex"
	"math/rand/v2"
	"testing"
)

// NewCipher makes a cipher from a key.
type NewCipher func(key []byte) (cipher.Block, error)

// Vector is a known answer (hex strings).
type Vector struct{ Name, Key, Plaintext, Ciphertext string }

// Unhex decodes a hex string or fails the test.
func Unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// KnownAnswers checks each vector in both directions, also in place.
func KnownAnswers(t *testing.T, newCipher NewCipher, vectors []Vector) {
	for _, v := range vectors {
		t.Run(v.Name, func(t *testing.T) {
			key, pt, ct := Unhex(t, v.Key), Unhex(t, v.Plaintext), Unhex(t, v.Ciphertext)
			c, err := newCipher(key)
			if err != nil {
				t.Fatal(err)
			}
			if c.BlockSize() != len(pt) {
				t.Fatalf("BlockSize() = %d", c.BlockSize())
			}
			got := make([]byte, len(pt))
			c.Encrypt(got, pt)
			if !bytes.Equal(got, ct) {
				t.Errorf("Encrypt = %x, want %x", got, ct)
			}
			c.Decrypt(got, ct)
			if !bytes.Equal(got, pt) {
				t.Errorf("Decrypt = %x, want %x", got, pt)
			}
			buf := bytes.Clone(pt)
			c.Encrypt(buf, buf)
			if !bytes.Equal(buf, ct) {
				t.Errorf("in-place Encrypt = %x, want %x", buf, ct)
			}
			c.Decrypt(buf, buf)
			if !bytes.Equal(buf, pt) {
				t.Errorf("in-place Decrypt = %x, want %x", buf, pt)
			}
		})
	}
}

// ShortBuffersPanic checks the panics on short buffers, which name the
// package as crypto/aes does ("crypto/seed: input not full block").
func ShortBuffersPanic(t *testing.T, c cipher.Block, pkg string) {
	bs := c.BlockSize()
	full, short := make([]byte, bs), make([]byte, bs-1)
	for _, tc := range []struct {
		name, want string
		fn         func()
	}{
		{"encrypt short src", pkg + ": input not full block", func() { c.Encrypt(full, short) }},
		{"encrypt short dst", pkg + ": output not full block", func() { c.Encrypt(short, full) }},
		{"decrypt short src", pkg + ": input not full block", func() { c.Decrypt(full, short) }},
		{"decrypt short dst", pkg + ": output not full block", func() { c.Decrypt(short, full) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != tc.want {
					t.Errorf("panic = %v, want %q", r, tc.want)
				}
			}()
			tc.fn()
		})
	}
}

// RandomRoundTrips decrypts what it encrypted, n times per key size, with
// keys and blocks from a fixed seed; bytes after the block stay untouched.
func RandomRoundTrips(t *testing.T, newCipher NewCipher, keySizes []int, n int) {
	rng := rand.NewChaCha8([32]byte{'b', 'l', 'o', 'c', 'k'})
	for _, size := range keySizes {
		key := make([]byte, size)
		for i := range n {
			rng.Read(key)
			c, err := newCipher(key)
			if err != nil {
				t.Fatal(err)
			}
			bs := c.BlockSize()
			pt, ct, back := make([]byte, bs), make([]byte, bs), make([]byte, bs)
			rng.Read(pt)
			c.Encrypt(ct, pt)
			if bytes.Equal(ct, pt) {
				t.Fatalf("%d-byte key #%d: ciphertext equals plaintext %x", size, i, pt)
			}
			c.Decrypt(back, ct)
			if !bytes.Equal(back, pt) {
				t.Fatalf("key %x: Decrypt(Encrypt(%x)) = %x", key, pt, back)
			}
			long := append(bytes.Clone(pt), 0xaa, 0xbb)
			c.Encrypt(long, long)
			if !bytes.Equal(long[:bs], ct) || long[bs] != 0xaa || long[bs+1] != 0xbb {
				t.Fatalf("key %x: in-place Encrypt on a long buffer = %x", key, long)
			}
		}
	}
}

// CBC checks crypto/cipher's CBC mode over c against chaining by hand,
// and the round trip.
func CBC(t *testing.T, c cipher.Block) {
	bs := c.BlockSize()
	iv := make([]byte, bs)
	for i := range iv {
		iv[i] = byte(0x0f + 0x0f*i)
	}
	pt := make([]byte, 5*bs)
	for i := range pt {
		pt[i] = byte(i * 7)
	}
	ct := make([]byte, len(pt))
	cipher.NewCBCEncrypter(c, iv).CryptBlocks(ct, pt)
	prev, want := iv, make([]byte, len(pt))
	for i := 0; i < len(pt); i += bs {
		x := make([]byte, bs)
		for j := range x {
			x[j] = pt[i+j] ^ prev[j]
		}
		c.Encrypt(want[i:], x)
		prev = want[i : i+bs]
	}
	if !bytes.Equal(ct, want) {
		t.Fatalf("CBC ciphertext = %x, want %x", ct, want)
	}
	back := make([]byte, len(ct))
	cipher.NewCBCDecrypter(c, iv).CryptBlocks(back, ct)
	if !bytes.Equal(back, pt) {
		t.Fatalf("CBC round trip = %x, want %x", back, pt)
	}
}

// NoAllocations checks that a block costs no allocation.
func NoAllocations(t *testing.T, c cipher.Block) {
	buf := make([]byte, c.BlockSize())
	if n := testing.AllocsPerRun(100, func() { c.Encrypt(buf, buf); c.Decrypt(buf, buf) }); n != 0 {
		t.Errorf("Encrypt+Decrypt allocate %v times per block", n)
	}
}

// Blocks benchmarks one direction, in place.
func Blocks(b *testing.B, c cipher.Block, decrypt bool) {
	buf := make([]byte, c.BlockSize())
	b.SetBytes(int64(c.BlockSize()))
	b.ReportAllocs()
	for b.Loop() {
		if decrypt {
			c.Decrypt(buf, buf)
		} else {
			c.Encrypt(buf, buf)
		}
	}
}

// KeySchedule benchmarks making a cipher from key.
func KeySchedule(b *testing.B, newCipher NewCipher, key []byte) {
	b.ReportAllocs()
	var sink cipher.Block
	for b.Loop() {
		c, err := newCipher(key)
		if err != nil {
			b.Fatal(err)
		}
		sink = c
	}
	_ = sink
}
