package mobileid

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// A holder is named by a did:jwk DID: the DID is its public key, so a
// presentation's signature is checked against the key its issuer field
// names, and the credential binds that DID.
const didJWKPrefix = "did:jwk:"

// maxDIDLen bounds a DID read from a message.
const maxDIDLen = 512

// HolderDID returns the did:jwk of a P-256 public key.
func HolderDID(pub *ecdsa.PublicKey) (string, error) {
	b, err := (&jose.JSONWebKey{Key: pub}).MarshalJSON()
	if err != nil {
		return "", err
	}
	return didJWKPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// HolderKey returns the public key a did:jwk names: a P-256 public key and
// nothing else.
func HolderKey(did string) (*ecdsa.PublicKey, error) {
	if len(did) > maxDIDLen {
		return nil, errors.New("mobileid: DID too long")
	}
	enc, ok := strings.CutPrefix(did, didJWKPrefix)
	if !ok {
		return nil, errors.New("mobileid: holder DID is not a did:jwk")
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return nil, errors.New("mobileid: did:jwk is not base64url")
	}
	var k jose.JSONWebKey
	if err := json.Unmarshal(raw, &k); err != nil {
		return nil, errors.New("mobileid: did:jwk holds no JWK")
	}
	pub, ok := k.Key.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return nil, errors.New("mobileid: did:jwk is not a P-256 public key")
	}
	return pub, nil
}
