package certstore

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"io"

	"github.com/opensvpn/svpn/api"
)

// pssOptions are the RSA-PSS parameters used for and required of signatures:
// salt as long as the hash, as TLS 1.3 and most HSMs do.
var pssOptions = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}

// DefaultAlgorithm is the algorithm a key signs login challenges with: RSA
// PKCS#1 v1.5 with SHA-256 for RSA keys (what Korean signing software does
// and every gateway accepts), ECDSA with SHA-256 for EC keys.
func DefaultAlgorithm(pub crypto.PublicKey) (api.SignatureAlgorithm, error) {
	switch pub.(type) {
	case *rsa.PublicKey:
		return api.SigRSAPKCS1SHA256, nil
	case *ecdsa.PublicKey:
		return api.SigECDSASHA256, nil
	}
	return "", api.Errorf(api.CodeCertUnsupported, "no signature algorithm for a %T key", pub)
}

// Sign signs msg with the identity's key. An empty alg picks the default
// for the key.
func (id *Identity) Sign(rand io.Reader, msg []byte, alg api.SignatureAlgorithm) ([]byte, api.SignatureAlgorithm, error) {
	key := id.Key.Signer
	if alg == "" {
		var err error
		if alg, err = DefaultAlgorithm(key.Public()); err != nil {
			return nil, "", err
		}
	}
	digest := sha256.Sum256(msg)
	var opts crypto.SignerOpts
	switch alg {
	case api.SigRSAPKCS1SHA256:
		if _, ok := key.Public().(*rsa.PublicKey); !ok {
			return nil, "", api.Errorf(api.CodeCertUnsupported, "%s needs an RSA key", alg)
		}
		opts = crypto.SHA256
	case api.SigRSAPSSSHA256:
		if _, ok := key.Public().(*rsa.PublicKey); !ok {
			return nil, "", api.Errorf(api.CodeCertUnsupported, "%s needs an RSA key", alg)
		}
		opts = pssOptions
	case api.SigECDSASHA256:
		if _, ok := key.Public().(*ecdsa.PublicKey); !ok {
			return nil, "", api.Errorf(api.CodeCertUnsupported, "%s needs an EC key", alg)
		}
		opts = crypto.SHA256
	default:
		return nil, "", api.Errorf(api.CodeCertUnsupported, "signature algorithm %q", alg)
	}
	sig, err := key.Sign(rand, digest[:], opts)
	if err != nil {
		if c := api.CodeOf(err); c != api.CodeInternal {
			return nil, "", err // a signer that knows what went wrong (a token pulled out)
		}
		return nil, "", api.Errorf(api.CodeInternal, "signing: %w", err)
	}
	return sig, alg, nil
}

// VerifySignature checks that sig is cert's signature over msg with alg.
// The gateway uses it on login challenges.
func VerifySignature(cert *x509.Certificate, alg api.SignatureAlgorithm, msg, sig []byte) error {
	digest := sha256.Sum256(msg)
	var err error
	switch alg {
	case api.SigRSAPKCS1SHA256, api.SigRSAPSSSHA256:
		pub, ok := cert.PublicKey.(*rsa.PublicKey)
		if !ok {
			return api.Errorf(api.CodeCertSignature, "%s signature from a non-RSA certificate", alg)
		}
		if alg == api.SigRSAPSSSHA256 {
			err = rsa.VerifyPSS(pub, crypto.SHA256, digest[:], sig, pssOptions)
		} else {
			err = rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig)
		}
	case api.SigECDSASHA256:
		pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
		if !ok {
			return api.Errorf(api.CodeCertSignature, "%s signature from a non-EC certificate", alg)
		}
		if !ecdsa.VerifyASN1(pub, digest[:], sig) {
			err = api.Errorf(api.CodeCertSignature, "bad ECDSA signature")
		}
	default:
		return api.Errorf(api.CodeCertUnsupported, "signature algorithm %q", alg)
	}
	if err != nil {
		return api.Errorf(api.CodeCertSignature, "the signature does not verify: %w", err)
	}
	return nil
}

// CertificateDER is the certificate a signature of id verifies with.
func (id *Identity) CertificateDER() []byte { return id.Certificate.X509.Raw }

// VIDRandom is R of the key (nil when it has none): with the holder's
// identity number it yields the certificate's VID.
func (id *Identity) VIDRandom() []byte { return id.Key.Random }
