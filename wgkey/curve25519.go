package wgkey

import (
	"crypto/ecdh"
)

// clamp applies the Curve25519 scalar clamping of RFC 7748 section 5.
func clamp(k *[Len]byte) {
	k[0] &= 248
	k[31] = (k[31] & 127) | 64
}

// public returns the X25519 public key of the scalar k, as `wg pubkey`
// does. X25519 clamps the scalar itself, so an unclamped k gives the same
// result as its clamped form.
func public(k [Len]byte) Public {
	priv, err := ecdh.X25519().NewPrivateKey(k[:])
	if err != nil {
		// NewPrivateKey fails only for a wrong length, which Len rules out.
		panic("wgkey: " + err.Error())
	}
	return Public(priv.PublicKey().Bytes())
}
