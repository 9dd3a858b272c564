package wgkey

import (
	"crypto/ecdh"
	"crypto/rand"
	"fmt"
)

// NewPrivate returns a fresh private key from crypto/rand, clamped the way
// `wg genkey` clamps it so that its base64 is indistinguishable from one
// made by the wg tool.
func NewPrivate() (Key, error) {
	var k Key
	if _, err := rand.Read(k[:]); err != nil {
		return Key{}, fmt.Errorf("wgkey: reading randomness: %w", err)
	}
	k.clamp()
	return k, nil
}

// clamp applies the Curve25519 scalar clamping of RFC 7748 section 5.
func (k *Key) clamp() {
	k[0] &= 248
	k[31] = (k[31] & 127) | 64
}

// Public returns the public key of the private key k, as `wg pubkey` does.
// X25519 clamps the scalar itself, so an unclamped k gives the same result
// as its clamped form.
func (k Key) Public() Key {
	priv, err := ecdh.X25519().NewPrivateKey(k[:])
	if err != nil {
		// NewPrivateKey fails only for a wrong length, which Key rules out.
		panic("wgkey: " + err.Error())
	}
	var pub Key
	copy(pub[:], priv.PublicKey().Bytes())
	return pub
}
