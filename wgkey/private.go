package wgkey

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
)

// redacted is how a Private prints, whatever the verb or the printer.
const redacted = "[redacted]"

// A Private is a WireGuard private key. The zero Private means "no key".
//
// A Private cannot be printed by accident: it has no String method, it
// formats as "[redacted]" with every fmt verb (%v, %s, %x, %q, %#v, ...),
// it logs as "[redacted]" through log/slog, and encoding/json (or any
// other encoding.TextMarshaler user) gets an error instead of the key.
//
// The bytes are held by a closure, not in a field: when fmt walks a struct
// by reflection and cannot call these methods (a Private in an unexported
// field) it prints a func as an address, whatever the verb. An array would
// print as its bytes, and even a pointer to one is dereferenced by fmt's
// %!verb(...) fallback. Reflection-based dumpers cannot see into a closure
// either.
//
// A Private is not comparable (it holds a func): == does not compile, and
// a Private cannot be a map key; use [Private.Equal]. Copies share the
// same immutable bytes.
//
// The key's secret spellings are available only through the explicitly
// named [Private.UAPIHex] (for wireguard-go) and [Private.Base64Secret]
// (for the key file and for redaction lists).
type Private struct {
	key func() [Len]byte // nil for the zero Private
}

// newPrivate wraps the key bytes b.
func newPrivate(b [Len]byte) Private {
	return Private{key: func() [Len]byte { return b }}
}

// NewPrivate returns a fresh private key from crypto/rand, clamped the way
// `wg genkey` clamps it so that its base64 is indistinguishable from one
// made by the wg tool.
func NewPrivate() (Private, error) {
	var k [Len]byte
	if _, err := rand.Read(k[:]); err != nil {
		return Private{}, fmt.Errorf("wgkey: reading randomness: %w", err)
	}
	clamp(&k)
	return newPrivate(k), nil
}

// ParsePrivate parses a private key in standard base64, as `wg genkey`
// prints it. The error never repeats the input.
func ParsePrivate(s string) (Private, error) {
	k, err := parse(s)
	if err != nil {
		return Private{}, err
	}
	return newPrivate(k), nil
}

// bytes returns the key, all zero for the zero Private.
func (k Private) bytes() [Len]byte {
	if k.key == nil {
		return [Len]byte{}
	}
	return k.key()
}

// IsZero reports whether k is the zero key, i.e. unset.
func (k Private) IsZero() bool {
	return k.bytes() == [Len]byte{}
}

// Equal reports whether k and o are the same key, in constant time.
func (k Private) Equal(o Private) bool {
	a, b := k.bytes(), o.bytes()
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// Public returns the public key of the private key k, as `wg pubkey` does.
func (k Private) Public() Public {
	return public(k.bytes())
}

// UAPIHex returns the SECRET key in lower-case hex, the form the
// WireGuard UAPI (wireguard-go's IpcSet "private_key=") takes. Use it
// only to configure a device, never in a message or log.
func (k Private) UAPIHex() string {
	b := k.bytes()
	return hex.EncodeToString(b[:])
}

// Base64Secret returns the SECRET key in standard base64, as `wg genkey`
// prints it: for the key file and for lists of secrets to redact. Never
// put it in a message or log.
func (k Private) Base64Secret() string {
	b := k.bytes()
	return base64.StdEncoding.EncodeToString(b[:])
}

// Format implements fmt.Formatter: every verb prints "[redacted]".
func (Private) Format(f fmt.State, _ rune) {
	_, _ = io.WriteString(f, redacted)
}

// GoString implements fmt.GoStringer; it never shows the key.
func (Private) GoString() string { return redacted }

// LogValue implements slog.LogValuer; it never shows the key.
func (Private) LogValue() slog.Value { return slog.StringValue(redacted) }

// errMarshal is what encoders get instead of a private key.
var errMarshal = errors.New("wgkey: a private key is not marshalled; use Base64Secret explicitly where the key must be stored")

// MarshalText implements encoding.TextMarshaler only to refuse: JSON, XML
// and text encoders fail rather than write the key (or a placeholder
// that would later be read back as a key).
func (Private) MarshalText() ([]byte, error) { return nil, errMarshal }
