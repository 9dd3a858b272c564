package certstore

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"

	"github.com/opensvpn/svpn/api"
)

// PrivateKey is a decrypted private key as an NPKI key file holds it.
type PrivateKey struct {
	// Signer signs login challenges; it is an *rsa.PrivateKey for every
	// Korean public certificate, *ecdsa.PrivateKey or ed25519 otherwise.
	Signer crypto.Signer
	// Random is the value R (attribute 1.2.410.200004.10.1.1.3) that, with
	// the holder's resident registration number, yields the VID in the
	// certificate. Nil when the key has none (keys from PKCS#12 files).
	Random []byte
	// PKCS8 is the plaintext PKCS#8 encoding, attributes included, so a key
	// can be written back exactly. Secret: never log it.
	PKCS8 []byte
}

// pkcs8 mirrors PrivateKeyInfo (RFC 5208) with its attributes, which the
// standard library ignores but NPKI uses to carry R.
type pkcs8 struct {
	Version    int
	Algo       pkix.AlgorithmIdentifier
	PrivateKey []byte
	Attributes asn1.RawValue `asn1:"optional,tag:0"`
}

type pkcs8Attribute struct {
	Type   asn1.ObjectIdentifier
	Values asn1.RawValue `asn1:"set"`
}

// ParsePKCS8 parses a plaintext PKCS#8 key and its KISA random value.
func ParsePKCS8(der []byte) (*PrivateKey, error) {
	var p pkcs8
	if err := unmarshalStrict(der, &p); err != nil {
		return nil, api.Errorf(api.CodeCertCorrupt, "not a PKCS#8 private key: %w", err)
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, api.Errorf(api.CodeCertUnsupported, "private key: %w", err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, api.Errorf(api.CodeCertUnsupported, "private key of type %T cannot sign", key)
	}
	random, err := randomAttribute(p.Attributes.Bytes)
	if err != nil {
		return nil, err
	}
	return &PrivateKey{Signer: signer, Random: random, PKCS8: der}, nil
}

func randomAttribute(attrs []byte) ([]byte, error) {
	for len(attrs) > 0 {
		var a pkcs8Attribute
		rest, err := asn1.Unmarshal(attrs, &a)
		if err != nil {
			return nil, api.Errorf(api.CodeCertCorrupt, "private key attributes: %w", err)
		}
		attrs = rest
		if !a.Type.Equal(oidKISARandomNum) {
			continue
		}
		var bits asn1.BitString
		if _, err := asn1.Unmarshal(a.Values.Bytes, &bits); err != nil {
			return nil, api.Errorf(api.CodeCertCorrupt, "random value R: %w", err)
		}
		if len(bits.Bytes) == 0 {
			return nil, api.Errorf(api.CodeCertCorrupt, "empty random value R")
		}
		return bits.Bytes, nil
	}
	return nil, nil
}

// MarshalPKCS8 encodes key as PKCS#8, with R as the KISA attribute when
// random is not empty, the way NPKI products write signPri.key's plaintext.
func MarshalPKCS8(key crypto.Signer, random []byte) ([]byte, error) {
	plain, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	if len(random) == 0 {
		return plain, nil
	}
	var p pkcs8
	if err := unmarshalStrict(plain, &p); err != nil {
		return nil, err
	}
	bits, err := asn1.Marshal(asn1.BitString{Bytes: random, BitLength: 8 * len(random)})
	if err != nil {
		return nil, err
	}
	attr, err := asn1.Marshal(pkcs8Attribute{
		Type:   oidKISARandomNum,
		Values: asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: bits},
	})
	if err != nil {
		return nil, err
	}
	p.Attributes = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: attr}
	return asn1.Marshal(p)
}

// DecryptPrivateKey decrypts an EncryptedPrivateKeyInfo (signPri.key,
// *_sig.key, or an OpenSSL PKCS#8 file) with password. A wrong password is
// ErrWrongPassword. Without the certificate a wrong password that happens to
// produce valid padding and DER cannot be told from a right one; use
// Certificate.Unlock, which also checks the key against the certificate.
func DecryptPrivateKey(der, password []byte) (*PrivateKey, error) {
	plain, err := decryptPKCS8(der, password)
	if err != nil {
		return nil, err
	}
	k, err := ParsePKCS8(plain)
	if err != nil {
		// Garbage that passed the padding check: the password was wrong.
		return nil, api.Errorf(api.CodeCertPasswordWrong, "the certificate password is wrong")
	}
	return k, nil
}

// KeyMatches reports whether priv is the private half of pub.
func KeyMatches(priv crypto.Signer, pub crypto.PublicKey) bool {
	switch p := priv.Public().(type) {
	case *rsa.PublicKey:
		return p.Equal(pub)
	case *ecdsa.PublicKey:
		return p.Equal(pub)
	case ed25519.PublicKey:
		return p.Equal(pub)
	}
	return false
}
