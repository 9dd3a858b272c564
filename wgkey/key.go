// Package wgkey holds WireGuard keys: Curve25519 private and public keys in
// the two spellings WireGuard uses, standard base64 (what `wg` prints and what
// the gateway API carries) and lower-case hex (what the UAPI expects).
//
// The two kinds of key are different types so that the type system keeps
// private keys out of logs. A [Public] prints itself in base64 like `wg`
// does. A [Private] has no String method and prints as "[redacted]" with
// every fmt verb, through log/slog and in a struct printed with %v, even
// from an unexported field; encoding/json refuses to marshal one. Its
// secret spellings come only from the explicitly named [Private.UAPIHex]
// and [Private.Base64Secret], for the few places that must hand the key
// to wireguard-go or write the key file.
package wgkey

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
)

// Len is the length of a WireGuard key in bytes.
const Len = 32

// A Public is a WireGuard public key. The zero Public means "no key".
type Public [Len]byte

// base64Len is the length of a key in standard, padded base64.
var base64Len = base64.StdEncoding.EncodedLen(Len)

// errInvalid is returned for any malformed key. It never repeats the input,
// which may be a private key.
var errInvalid = errors.New("wgkey: invalid key: want 32 bytes in standard base64 (44 characters, as wg prints)")

// parse decodes a key in standard base64, as `wg genkey` and `wg pubkey`
// print it. Only the canonical spelling is accepted.
func parse(s string) ([Len]byte, error) {
	if len(s) != base64Len {
		return [Len]byte{}, errInvalid
	}
	// Decode wants room for a full last quantum: 33 bytes for 44 characters.
	var buf [Len + 1]byte
	n, err := base64.StdEncoding.Strict().Decode(buf[:], []byte(s))
	if err != nil || n != Len {
		return [Len]byte{}, errInvalid
	}
	return [Len]byte(buf[:Len]), nil
}

// ParsePublic parses a public key in standard base64, as `wg pubkey`
// prints it.
func ParsePublic(s string) (Public, error) {
	k, err := parse(s)
	return Public(k), err
}

// String returns the key in standard base64, as wg prints it.
func (k Public) String() string {
	return base64.StdEncoding.EncodeToString(k[:])
}

// Hex returns the key in lower-case hex, the form the WireGuard UAPI
// (wireguard-go's IpcSet and IpcGet) uses.
func (k Public) Hex() string {
	return hex.EncodeToString(k[:])
}

// IsZero reports whether k is the zero key, i.e. unset.
func (k Public) IsZero() bool {
	return k == Public{}
}

// MarshalText encodes the key in standard base64, so JSON wire types can
// embed a Public and read as wg's own notation.
func (k Public) MarshalText() ([]byte, error) {
	b := make([]byte, base64Len)
	base64.StdEncoding.Encode(b, k[:])
	return b, nil
}

// UnmarshalText decodes a key in standard base64.
func (k *Public) UnmarshalText(text []byte) error {
	p, err := ParsePublic(string(text))
	if err != nil {
		return err
	}
	*k = p
	return nil
}
