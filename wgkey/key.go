// Package wgkey holds WireGuard keys: Curve25519 private and public keys in
// the two spellings WireGuard uses, standard base64 (what `wg` prints and what
// the gateway API carries) and lower-case hex (what the UAPI expects).
//
// A private Key prints itself like any other key; callers that hold one must
// keep it out of logs and diagnostics.
package wgkey

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
)

// Len is the length of a WireGuard key in bytes.
const Len = 32

// A Key is a WireGuard private or public key. The zero Key means "no key".
type Key [Len]byte

// base64Len is the length of a key in standard, padded base64.
var base64Len = base64.StdEncoding.EncodedLen(Len)

// errInvalid is returned for any malformed key. It never repeats the input,
// which may be a private key.
var errInvalid = errors.New("wgkey: invalid key: want 32 bytes in standard base64 (44 characters, as wg prints)")

// ParseKey parses a key in standard base64, as `wg genkey` and `wg pubkey`
// print it.
func ParseKey(s string) (Key, error) {
	if len(s) != base64Len {
		return Key{}, errInvalid
	}
	// Decode wants room for a full last quantum: 33 bytes for 44 characters.
	var buf [Len + 1]byte
	n, err := base64.StdEncoding.Strict().Decode(buf[:], []byte(s))
	if err != nil || n != Len {
		return Key{}, errInvalid
	}
	return Key(buf[:Len]), nil
}

// String returns the key in standard base64, as wg prints it.
func (k Key) String() string {
	return base64.StdEncoding.EncodeToString(k[:])
}

// Hex returns the key in lower-case hex, the form the WireGuard UAPI
// (wireguard-go's IpcSet) takes.
func (k Key) Hex() string {
	return hex.EncodeToString(k[:])
}

// IsZero reports whether k is the zero key, i.e. unset.
func (k Key) IsZero() bool {
	return k == Key{}
}

// MarshalText encodes the key in standard base64, so JSON wire types can
// embed a Key and read as wg's own notation.
func (k Key) MarshalText() ([]byte, error) {
	b := make([]byte, base64Len)
	base64.StdEncoding.Encode(b, k[:])
	return b, nil
}

// UnmarshalText decodes a key in standard base64.
func (k *Key) UnmarshalText(text []byte) error {
	p, err := ParseKey(string(text))
	if err != nil {
		return err
	}
	*k = p
	return nil
}
