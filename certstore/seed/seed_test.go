package seed

import (
	"bytes"
	"crypto/cipher"
	"encoding/hex"
	"errors"
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

// RFC 4269, Appendix B.
var rfcVectors = []struct {
	name, key, pt, ct string
}{
	{"B.1", "00000000000000000000000000000000", "000102030405060708090a0b0c0d0e0f", "5ebac6e0054e166819aff1cc6d346cdb"},
	{"B.2", "000102030405060708090a0b0c0d0e0f", "00000000000000000000000000000000", "c11f22f20140505084483597e4370f43"},
	{"B.3", "4706480851e61be85d74bfb3fd956185", "83a2f8a288641fb9a4e9a5cc2f131c7d", "ee54d13ebcae706d226bc3142cd40d4a"},
	{"B.4", "28dbc3bc49ffd87dcfa509b11d422be7", "b41e6be2eba84a148e2eed84593c5ec7", "9b9b7bfcd1813cb95d0b3618f40f5122"},
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

// The first and last round keys of RFC 4269 Appendix B.1 (all-zero key).
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
		if !errors.As(err, &kse) || int(kse) != n {
			t.Errorf("NewCipher(%d bytes) error = %v, want KeySizeError(%d)", n, err, n)
		}
		if c != nil {
			t.Errorf("NewCipher(%d bytes) returned a cipher", n)
		}
	}
	if got, want := KeySizeError(5).Error(), "crypto/seed: invalid key size 5"; got != want {
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
		{"encrypt short src", func() { c.Encrypt(full, short) }, "crypto/seed: input not full block"},
		{"encrypt short dst", func() { c.Encrypt(short, full) }, "crypto/seed: output not full block"},
		{"decrypt short src", func() { c.Decrypt(full, short) }, "crypto/seed: input not full block"},
		{"decrypt short dst", func() { c.Decrypt(short, full) }, "crypto/seed: output not full block"},
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
	rng := rand.NewChaCha8([32]byte{'s', 'e', 'e', 'd'})
	key, pt := make([]byte, 16), make([]byte, 16)
	ct, back := make([]byte, 16), make([]byte, 16)
	for i := range 2000 {
		rng.Read(key)
		rng.Read(pt)
		c, err := NewCipher(key)
		if err != nil {
			t.Fatal(err)
		}
		c.Encrypt(ct, pt)
		if bytes.Equal(ct, pt) {
			t.Fatalf("#%d: ciphertext equals plaintext %x", i, pt)
		}
		c.Decrypt(back, ct)
		if !bytes.Equal(back, pt) {
			t.Fatalf("#%d key %x: Decrypt(Encrypt(%x)) = %x", i, key, pt, back)
		}
		// Extra bytes after the first block are left alone.
		long := append(bytes.Clone(pt), 0xaa, 0xbb)
		c.Encrypt(long, long)
		if !bytes.Equal(long[:16], ct) || long[16] != 0xaa || long[17] != 0xbb {
			t.Fatalf("#%d: in-place Encrypt on a long buffer = %x", i, long)
		}
	}
}

func TestCBCRoundTrip(t *testing.T) {
	key := unhex(t, rfcVectors[2].key)
	iv := unhex(t, "0f1e2d3c4b5a69788796a5b4c3d2e1f0")
	c, _ := NewCipher(key)
	pt := make([]byte, 5*BlockSize)
	for i := range pt {
		pt[i] = byte(i * 7)
	}
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
		t.Fatalf("CBC ciphertext = %x, want %x", ct, want)
	}

	back := make([]byte, len(ct))
	cipher.NewCBCDecrypter(c, iv).CryptBlocks(back, ct)
	if !bytes.Equal(back, pt) {
		t.Fatalf("CBC round trip = %x, want %x", back, pt)
	}
}

func TestNoAllocations(t *testing.T) {
	c, _ := NewCipher(make([]byte, 16))
	buf := make([]byte, 16)
	if n := testing.AllocsPerRun(100, func() { c.Encrypt(buf, buf); c.Decrypt(buf, buf) }); n != 0 {
		t.Errorf("Encrypt+Decrypt allocate %v times per block", n)
	}
}

func BenchmarkEncrypt(b *testing.B) {
	c, _ := NewCipher(unhex(b, rfcVectors[2].key))
	buf := make([]byte, BlockSize)
	b.SetBytes(BlockSize)
	b.ReportAllocs()
	for b.Loop() {
		c.Encrypt(buf, buf)
	}
}

func BenchmarkDecrypt(b *testing.B) {
	c, _ := NewCipher(unhex(b, rfcVectors[2].key))
	buf := make([]byte, BlockSize)
	b.SetBytes(BlockSize)
	b.ReportAllocs()
	for b.Loop() {
		c.Decrypt(buf, buf)
	}
}

// sink keeps the key-schedule benchmark's cipher on the heap, as in real use.
var sink cipher.Block

func BenchmarkKeySchedule(b *testing.B) {
	key := unhex(b, rfcVectors[2].key)
	b.ReportAllocs()
	for b.Loop() {
		c, err := NewCipher(key)
		if err != nil {
			b.Fatal(err)
		}
		sink = c
	}
}
