package aria

import (
	"bytes"
	"crypto/cipher"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// RFC 5794, Appendix A.
var rfcVectors = []struct {
	name, key, pt, ct string
}{
	{"A.1 128-bit key", "000102030405060708090a0b0c0d0e0f",
		"00112233445566778899aabbccddeeff", "d718fbd6ab644c739da95f3be6451778"},
	{"A.2 192-bit key", "000102030405060708090a0b0c0d0e0f1011121314151617",
		"00112233445566778899aabbccddeeff", "26449c1805dbe7aa25a468ce263a9e79"},
	{"A.3 256-bit key", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		"00112233445566778899aabbccddeeff", "f92bd7c79fb72e2f2b8f80c1972d24fc"},
}

func TestKnownAnswers(t *testing.T) {
	for _, v := range rfcVectors {
		t.Run(v.name, func(t *testing.T) {
			key, pt, ct := unhex(t, v.key), unhex(t, v.pt), unhex(t, v.ct)
			c, err := NewCipher(key)
			if err != nil {
				t.Fatal(err)
			}
			if c.BlockSize() != BlockSize {
				t.Fatalf("BlockSize() = %d", c.BlockSize())
			}
			got := make([]byte, BlockSize)
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

func TestKeySizeError(t *testing.T) {
	for _, n := range []int{0, 1, 8, 15, 17, 20, 23, 25, 31, 33, 64} {
		c, err := NewCipher(make([]byte, n))
		var kse KeySizeError
		if !errors.As(err, &kse) || int(kse) != n {
			t.Errorf("NewCipher(%d bytes) error = %v, want KeySizeError(%d)", n, err, n)
		}
		if c != nil {
			t.Errorf("NewCipher(%d bytes) returned a cipher", n)
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
	full, short := make([]byte, 16), make([]byte, 15)
	for _, tc := range []struct {
		name     string
		fn       func()
		expected string
	}{
		{"encrypt short src", func() { c.Encrypt(full, short) }, "crypto/aria: input not full block"},
		{"encrypt short dst", func() { c.Encrypt(short, full) }, "crypto/aria: output not full block"},
		{"decrypt short src", func() { c.Decrypt(full, short) }, "crypto/aria: input not full block"},
		{"decrypt short dst", func() { c.Decrypt(short, full) }, "crypto/aria: output not full block"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != tc.expected {
					t.Errorf("panic = %v, want %q", r, tc.expected)
				}
			}()
			tc.fn()
		})
	}
}

func TestRandomRoundTrip(t *testing.T) {
	rng := rand.NewChaCha8([32]byte{'a', 'r', 'i', 'a'})
	pt, ct, back := make([]byte, 16), make([]byte, 16), make([]byte, 16)
	for _, size := range []int{16, 24, 32} {
		key := make([]byte, size)
		for i := range 700 {
			rng.Read(key)
			rng.Read(pt)
			c, err := NewCipher(key)
			if err != nil {
				t.Fatal(err)
			}
			c.Encrypt(ct, pt)
			if bytes.Equal(ct, pt) {
				t.Fatalf("%d-byte key #%d: ciphertext equals plaintext %x", size, i, pt)
			}
			c.Decrypt(back, ct)
			if !bytes.Equal(back, pt) {
				t.Fatalf("key %x: Decrypt(Encrypt(%x)) = %x", key, pt, back)
			}
			// Extra bytes after the first block are left alone.
			long := append(bytes.Clone(ct), 0xaa, 0xbb)
			c.Decrypt(long, long)
			if !bytes.Equal(long[:16], pt) || long[16] != 0xaa || long[17] != 0xbb {
				t.Fatalf("key %x: in-place Decrypt on a long buffer = %x", key, long)
			}
		}
	}
}

func TestCBCRoundTrip(t *testing.T) {
	iv := unhex(t, "0f1e2d3c4b5a69788796a5b4c3d2e1f0")
	pt := make([]byte, 5*BlockSize)
	for i := range pt {
		pt[i] = byte(i * 7)
	}
	for _, v := range rfcVectors {
		c, _ := NewCipher(unhex(t, v.key))
		ct := make([]byte, len(pt))
		cipher.NewCBCEncrypter(c, iv).CryptBlocks(ct, pt)

		// Chain by hand with the raw block cipher and compare.
		prev, want := iv, make([]byte, len(pt))
		for i := 0; i < len(pt); i += BlockSize {
			var x [BlockSize]byte
			for j := range x {
				x[j] = pt[i+j] ^ prev[j]
			}
			c.Encrypt(want[i:], x[:])
			prev = want[i : i+BlockSize]
		}
		if !bytes.Equal(ct, want) {
			t.Fatalf("%s: CBC ciphertext = %x, want %x", v.name, ct, want)
		}
		back := make([]byte, len(ct))
		cipher.NewCBCDecrypter(c, iv).CryptBlocks(back, ct)
		if !bytes.Equal(back, pt) {
			t.Fatalf("%s: CBC round trip = %x, want %x", v.name, back, pt)
		}
	}
}

func TestNoAllocations(t *testing.T) {
	c, _ := NewCipher(make([]byte, 32))
	buf := make([]byte, 16)
	if n := testing.AllocsPerRun(100, func() { c.Encrypt(buf, buf); c.Decrypt(buf, buf) }); n != 0 {
		t.Errorf("Encrypt+Decrypt allocate %v times per block", n)
	}
}

func benchmarkBlock(b *testing.B, decrypt bool) {
	for _, v := range rfcVectors {
		key := unhex(b, v.key)
		b.Run(fmt.Sprint(8*len(key)), func(b *testing.B) {
			c, _ := NewCipher(key)
			fn := c.Encrypt
			if decrypt {
				fn = c.Decrypt
			}
			buf := make([]byte, BlockSize)
			b.SetBytes(BlockSize)
			b.ReportAllocs()
			for b.Loop() {
				fn(buf, buf)
			}
		})
	}
}

func BenchmarkEncrypt(b *testing.B) { benchmarkBlock(b, false) }
func BenchmarkDecrypt(b *testing.B) { benchmarkBlock(b, true) }

// sink keeps the key-schedule benchmark's cipher on the heap, as in real use.
var sink cipher.Block

func BenchmarkKeySchedule(b *testing.B) {
	for _, v := range rfcVectors {
		key := unhex(b, v.key)
		b.Run(fmt.Sprint(8*len(key)), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c, err := NewCipher(key)
				if err != nil {
					b.Fatal(err)
				}
				sink = c
			}
		})
	}
}
