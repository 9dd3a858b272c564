// Package password hashes account passwords with argon2id. The rules a new
// password must satisfy are checked by api/passwordrules, which front ends
// share without linking argon2.
//
// Hashes are stored as PHC strings
// ($argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>) so that the parameters travel
// with each hash: the cost can be raised later and old hashes still verify,
// and NeedsRehash tells the caller when to upgrade one after a good login.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are the argon2id cost parameters and output sizes.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over memory
	Threads uint8  // lanes
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultParams is the OWASP recommended argon2id configuration (19 MiB, two
// passes, one lane): about 28 ms per hash on the reference machine, which
// bounds gateway logins at roughly 35 per second per core. Treat it as a
// constant.
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Limits on parameters read back from a stored hash. A hash comes from the
// database, and a tampered or corrupted row must not make one login attempt
// allocate gigabytes or spin for minutes.
const (
	MaxMemory  = 256 * 1024 // KiB (256 MiB)
	MaxTime    = 16
	MaxThreads = 16
	MinSaltLen = 8
	MaxSaltLen = 64
	MinKeyLen  = 16
	MaxKeyLen  = 64
)

// Errors returned by Hash and Verify. They are about the stored hash or the
// parameters, never about the password: a wrong password is ok == false with
// a nil error.
var (
	ErrMalformed      = errors.New("password: malformed hash")
	ErrUnsupported    = errors.New("password: unsupported hash algorithm or version")
	ErrParamsRejected = errors.New("password: hash parameters out of range")
)

const (
	algorithm = "argon2id"
	version   = argon2.Version // 0x13 = 19
)

var b64 = base64.RawStdEncoding

// Validate reports whether p is within the limits Verify accepts, so that a
// hash made with p can always be verified again.
func (p Params) Validate() error {
	switch {
	case p.Memory < 8*uint32(p.Threads) || p.Memory > MaxMemory:
		return fmt.Errorf("%w: memory %d KiB", ErrParamsRejected, p.Memory)
	case p.Time < 1 || p.Time > MaxTime:
		return fmt.Errorf("%w: time %d", ErrParamsRejected, p.Time)
	case p.Threads < 1 || p.Threads > MaxThreads:
		return fmt.Errorf("%w: threads %d", ErrParamsRejected, p.Threads)
	case p.SaltLen < MinSaltLen || p.SaltLen > MaxSaltLen:
		return fmt.Errorf("%w: salt length %d", ErrParamsRejected, p.SaltLen)
	case p.KeyLen < MinKeyLen || p.KeyLen > MaxKeyLen:
		return fmt.Errorf("%w: key length %d", ErrParamsRejected, p.KeyLen)
	}
	return nil
}

// Hash derives an argon2id hash of password with a fresh random salt and
// returns it as a PHC string.
func Hash(password string, p Params) (string, error) {
	if err := p.Validate(); err != nil {
		return "", err
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: reading salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return encode(p, salt, key), nil
}

func encode(p Params, salt, key []byte) string {
	return fmt.Sprintf("$%s$v=%d$m=%d,t=%d,p=%d$%s$%s",
		algorithm, version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// Verify reports whether password matches the encoded hash. The comparison is
// constant-time. An error means the hash itself is unusable (malformed, another
// algorithm, or parameters beyond the limits above); callers should treat it as
// a failed login and log it, since it points at a damaged or tampered record.
func Verify(encoded, password string) (ok bool, err error) {
	p, salt, key, err := decode(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// NeedsRehash reports whether encoded was made with parameters other than p
// (or cannot be parsed), so the caller should store a new hash of the password
// it has just verified.
func NeedsRehash(encoded string, p Params) bool {
	got, _, _, err := decode(encoded)
	return err != nil || got != p
}

// decode parses a PHC argon2id string. It checks every limit before
// anything is allocated in proportion to the parameters.
func decode(encoded string) (p Params, salt, key []byte, err error) {
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	f := strings.Split(encoded, "$")
	if len(f) != 6 || f[0] != "" {
		return Params{}, nil, nil, ErrMalformed
	}
	if f[1] != algorithm {
		return Params{}, nil, nil, fmt.Errorf("%w: %q", ErrUnsupported, f[1])
	}
	v, ok := strings.CutPrefix(f[2], "v=")
	if !ok {
		return Params{}, nil, nil, ErrMalformed
	}
	if n, err := strconv.ParseUint(v, 10, 32); err != nil || n != version {
		return Params{}, nil, nil, fmt.Errorf("%w: version %q", ErrUnsupported, v)
	}
	var seen [3]bool
	for _, kv := range strings.Split(f[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return Params{}, nil, nil, ErrMalformed
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return Params{}, nil, nil, fmt.Errorf("%w: parameter %q", ErrMalformed, kv)
		}
		var i int
		switch k {
		case "m":
			i, p.Memory = 0, uint32(n)
		case "t":
			i, p.Time = 1, uint32(n)
		case "p":
			if n > MaxThreads {
				return Params{}, nil, nil, fmt.Errorf("%w: threads %d", ErrParamsRejected, n)
			}
			i, p.Threads = 2, uint8(n)
		default:
			return Params{}, nil, nil, fmt.Errorf("%w: parameter %q", ErrMalformed, kv)
		}
		if seen[i] {
			return Params{}, nil, nil, fmt.Errorf("%w: repeated parameter %q", ErrMalformed, k)
		}
		seen[i] = true
	}
	if seen != [3]bool{true, true, true} {
		return Params{}, nil, nil, fmt.Errorf("%w: missing parameter", ErrMalformed)
	}
	// Check sizes from the encoded lengths before decoding.
	if n := b64.DecodedLen(len(f[4])); n < MinSaltLen || n > MaxSaltLen {
		return Params{}, nil, nil, fmt.Errorf("%w: salt length %d", ErrParamsRejected, n)
	}
	if n := b64.DecodedLen(len(f[5])); n < MinKeyLen || n > MaxKeyLen {
		return Params{}, nil, nil, fmt.Errorf("%w: key length %d", ErrParamsRejected, n)
	}
	if salt, err = b64.Strict().DecodeString(f[4]); err != nil {
		return Params{}, nil, nil, fmt.Errorf("%w: salt: %v", ErrMalformed, err)
	}
	if key, err = b64.Strict().DecodeString(f[5]); err != nil {
		return Params{}, nil, nil, fmt.Errorf("%w: hash: %v", ErrMalformed, err)
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	if err := p.Validate(); err != nil {
		return Params{}, nil, nil, err
	}
	return p, salt, key, nil
}
