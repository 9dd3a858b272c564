package password

import (
	"errors"
	"strings"
	"testing"
)

// fast keeps the tests quick; the format and checks do not depend on cost.
var fast = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashVerify(t *testing.T) {
	for _, p := range []Params{fast, DefaultParams, {Memory: 1024, Time: 3, Threads: 4, SaltLen: 8, KeyLen: 16}} {
		enc, err := Hash("svpn1234!", p)
		if err != nil {
			t.Fatalf("Hash(%+v): %v", p, err)
		}
		ok, err := Verify(enc, "svpn1234!")
		if err != nil || !ok {
			t.Errorf("Verify(right password) = %v, %v; want true, nil", ok, err)
		}
		for _, wrong := range []string{"", "svpn1234", "svpn1234!!", "SVPN1234!"} {
			if ok, err := Verify(enc, wrong); err != nil || ok {
				t.Errorf("Verify(%q) = %v, %v; want false, nil", wrong, ok, err)
			}
		}
		if NeedsRehash(enc, p) {
			t.Errorf("NeedsRehash(%s, same params) = true", enc)
		}
	}
}

func TestHashFormat(t *testing.T) {
	enc, err := Hash("x", DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "$argon2id$v=19$m=19456,t=2,p=1$"
	if !strings.HasPrefix(enc, prefix) {
		t.Fatalf("Hash = %q, want prefix %q", enc, prefix)
	}
	f := strings.Split(enc, "$")
	if len(f[4]) != 22 || len(f[5]) != 43 { // 16 and 32 bytes, unpadded base64
		t.Errorf("salt/hash field lengths %d/%d, want 22/43", len(f[4]), len(f[5]))
	}
	enc2, _ := Hash("x", DefaultParams)
	if enc == enc2 {
		t.Error("two hashes of the same password are equal: salt not random")
	}
}

// A known-answer vector: the same salt and parameters must give the same
// hash across versions of this package and of x/crypto. Produced with the
// reference implementation: echo -n password | argon2 somesalt -id -t 2 -m 16 -p 1 -l 32 -e
const knownHash = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"

func TestKnownAnswer(t *testing.T) {
	ok, err := Verify(knownHash, "password")
	if err != nil || !ok {
		t.Fatalf("Verify(known vector) = %v, %v; want true, nil", ok, err)
	}
}

func TestNeedsRehash(t *testing.T) {
	enc, err := Hash("pw", fast)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		encoded string
		p       Params
		want    bool
	}{
		{"same", enc, fast, false},
		{"more memory", enc, Params{Memory: 128, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, true},
		{"more time", enc, Params{Memory: 64, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}, true},
		{"longer key", enc, Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 64}, true},
		{"garbage", "not a hash", fast, true},
		{"bcrypt", "$2a$10$abcdefghijklmnopqrstuu", fast, true},
	}
	for _, tt := range tests {
		if got := NeedsRehash(tt.encoded, tt.p); got != tt.want {
			t.Errorf("%s: NeedsRehash = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestVerifyRejects(t *testing.T) {
	const salt = "c29tZXNhbHRzb21lc2FsdA"                     // 16 bytes
	const key = "CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc" // 32 bytes
	tests := []struct {
		name    string
		encoded string
		want    error
	}{
		{"empty", "", ErrMalformed},
		{"no leading dollar", "argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key, ErrMalformed},
		{"too few fields", "$argon2id$v=19$m=64,t=1,p=1$" + salt, ErrMalformed},
		{"too many fields", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + "$", ErrMalformed},
		{"argon2i", "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key, ErrUnsupported},
		{"bcrypt", "$2a$10$abcdefghijklmnopqrstuu$x$y", ErrUnsupported},
		{"old version", "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key, ErrUnsupported},
		{"no version", "$argon2id$m=64,t=1,p=1$" + salt + "$" + key + "$x", ErrMalformed},
		{"missing param", "$argon2id$v=19$m=64,t=1$" + salt + "$" + key, ErrMalformed},
		{"repeated param", "$argon2id$v=19$m=64,m=64,t=1$" + salt + "$" + key, ErrMalformed},
		{"unknown param", "$argon2id$v=19$m=64,t=1,p=1,x=1$" + salt + "$" + key, ErrMalformed},
		{"negative", "$argon2id$v=19$m=-64,t=1,p=1$" + salt + "$" + key, ErrMalformed},
		{"huge memory", "$argon2id$v=19$m=4194304,t=1,p=1$" + salt + "$" + key, ErrParamsRejected},
		{"overflow memory", "$argon2id$v=19$m=99999999999,t=1,p=1$" + salt + "$" + key, ErrMalformed},
		{"huge time", "$argon2id$v=19$m=64,t=1000000,p=1$" + salt + "$" + key, ErrParamsRejected},
		{"zero time", "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key, ErrParamsRejected},
		{"zero threads", "$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key, ErrParamsRejected},
		{"huge threads", "$argon2id$v=19$m=64,t=1,p=255$" + salt + "$" + key, ErrParamsRejected},
		{"short salt", "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$" + key, ErrParamsRejected},
		{"huge salt", "$argon2id$v=19$m=64,t=1,p=1$" + strings.Repeat("A", 1<<20) + "$" + key, ErrParamsRejected},
		{"short key", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$a2V5", ErrParamsRejected},
		{"bad base64", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key[:42] + "*", ErrMalformed},
		{"padded base64", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key, ErrMalformed},
	}
	for _, tt := range tests {
		ok, err := Verify(tt.encoded, "password")
		if ok || !errors.Is(err, tt.want) {
			t.Errorf("%s: Verify = %v, %v; want false, %v", tt.name, ok, err, tt.want)
		}
	}
}

func TestHashRejectsBadParams(t *testing.T) {
	for _, p := range []Params{
		{},
		{Memory: MaxMemory + 1, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 0, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 0, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 4, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 8},
	} {
		if _, err := Hash("x", p); !errors.Is(err, ErrParamsRejected) {
			t.Errorf("Hash(%+v) error = %v, want ErrParamsRejected", p, err)
		}
	}
}

// FuzzVerify: stored hashes are outside input (a database row); parsing one
// must never panic or run away with memory.
func FuzzVerify(f *testing.F) {
	enc, err := Hash("pw", fast)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(enc, "pw")
	f.Add(knownHash, "password")
	f.Add("$argon2id$v=19$m=64,t=1,p=1$$", "")
	f.Fuzz(func(t *testing.T, encoded, pw string) {
		p, _, _, err := decode(encoded)
		if err != nil {
			return
		}
		if p.Memory > MaxMemory || p.Time > MaxTime || p.Threads > MaxThreads {
			t.Fatalf("decode accepted %+v", p)
		}
		if p.Memory > 4096 || p.Time > 4 {
			return // valid but slow: not worth hashing in a fuzz loop
		}
		if _, err := Verify(encoded, pw); err != nil {
			t.Fatalf("Verify after successful decode: %v", err)
		}
	})
}

func BenchmarkHashDefault(b *testing.B) {
	for b.Loop() {
		if _, err := Hash("svpn1234!", DefaultParams); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyDefault(b *testing.B) {
	enc, err := Hash("svpn1234!", DefaultParams)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Verify(enc, "svpn1234!"); err != nil {
			b.Fatal(err)
		}
	}
}
