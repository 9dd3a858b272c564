package certstore

import (
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"io"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/opensvpn/svpn/api"
)

// decodePKCS12 opens a PKCS#12 file with go-pkcs12: MAC check, key and
// certificate bags. A MAC mismatch is a wrong password: unlike a padding
// check, it lets no wrong password through.
func decodePKCS12(data []byte, password string) (crypto.Signer, *x509.Certificate, error) {
	if len(password) > maxPasswordLen {
		return nil, nil, errPasswordTooLong
	}
	if err := checkPKCS12Iterations(data); err != nil {
		return nil, nil, err
	}
	key, cert, _, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		var ni pkcs12.NotImplementedError
		switch {
		case errors.Is(err, pkcs12.ErrIncorrectPassword):
			return nil, nil, api.Errorf(api.CodeCertPasswordWrong, "the certificate password is wrong")
		case errors.As(err, &ni):
			return nil, nil, api.Errorf(api.CodeCertUnsupported, "PKCS#12: %w", err)
		}
		return nil, nil, api.Errorf(api.CodeCertCorrupt, "PKCS#12: %w", err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, nil, api.Errorf(api.CodeCertUnsupported, "PKCS#12 key of type %T cannot sign", key)
	}
	return signer, cert, nil
}

// EncodePKCS12 writes key and cert as a PKCS#12 file that OpenSSL 3 and
// Windows read (PBES2 AES-256-CBC, PBKDF2-SHA256, SHA-256 MAC).
func EncodePKCS12(rand io.Reader, key crypto.Signer, cert *x509.Certificate, password string) ([]byte, error) {
	return pkcs12.Modern2023.WithRand(rand).Encode(key, cert, nil, password)
}

// PKCS#12 structure, enough to read certificate bags stored unencrypted so
// the picker can describe a .pfx before the user types its password.
// go-pkcs12 verifies the MAC first and so needs the password.
type pfxPDU struct {
	Version  int
	AuthSafe contentInfo
	MacData  asn1.RawValue `asn1:"optional"`
}

type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"tag:0,explicit,optional"`
}

type safeBag struct {
	ID         asn1.ObjectIdentifier
	Value      asn1.RawValue `asn1:"tag:0,explicit"`
	Attributes asn1.RawValue `asn1:"optional"`
}

type certBag struct {
	ID   asn1.ObjectIdentifier
	Data []byte `asn1:"tag:0,explicit"`
}

var (
	oidDataContentType = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidCertBag         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 3}
	oidCertTypeX509    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 22, 1}

	oidEncryptedDataContentType = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 6}
	oidShroudedKeyBag           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 2}
	oidPBMAC1                   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 14}
)

// peekPKCS12Certificate returns the end-entity certificate of a PKCS#12 file
// when it is stored without encryption (as Korean software and Windows
// write it). It returns ErrPasswordNeeded-coded errors when all certificate
// bags are encrypted.
func peekPKCS12Certificate(data []byte) (*x509.Certificate, error) {
	var pfx pfxPDU
	if _, err := asn1.Unmarshal(data, &pfx); err != nil {
		return nil, api.Errorf(api.CodeCertCorrupt, "not a PKCS#12 file: %w", err)
	}
	if !pfx.AuthSafe.ContentType.Equal(oidDataContentType) {
		return nil, api.Errorf(api.CodeCertUnsupported, "PKCS#12 protected by a public key")
	}
	var authSafe []byte
	if _, err := asn1.Unmarshal(pfx.AuthSafe.Content.Bytes, &authSafe); err != nil {
		return nil, api.Errorf(api.CodeCertCorrupt, "PKCS#12 content: %w", err)
	}
	var infos []contentInfo
	if _, err := asn1.Unmarshal(authSafe, &infos); err != nil {
		return nil, api.Errorf(api.CodeCertCorrupt, "PKCS#12 safes: %w", err)
	}
	var certs []*x509.Certificate
	for _, ci := range infos {
		if !ci.ContentType.Equal(oidDataContentType) {
			continue // encrypted safe: needs the password
		}
		var safe []byte
		if _, err := asn1.Unmarshal(ci.Content.Bytes, &safe); err != nil {
			return nil, api.Errorf(api.CodeCertCorrupt, "PKCS#12 safe: %w", err)
		}
		var bags []safeBag
		if _, err := asn1.Unmarshal(safe, &bags); err != nil {
			return nil, api.Errorf(api.CodeCertCorrupt, "PKCS#12 bags: %w", err)
		}
		for _, b := range bags {
			if !b.ID.Equal(oidCertBag) {
				continue
			}
			var cb certBag
			if _, err := asn1.Unmarshal(b.Value.Bytes, &cb); err != nil || !cb.ID.Equal(oidCertTypeX509) {
				continue
			}
			if x, err := x509.ParseCertificate(cb.Data); err == nil {
				certs = append(certs, x)
			}
		}
	}
	for _, x := range certs {
		if !x.IsCA {
			return x, nil
		}
	}
	if len(certs) > 0 {
		return certs[0], nil
	}
	return nil, api.Errorf(api.CodeCertPasswordNeeded, "the PKCS#12 file's certificate is encrypted; enter its password")
}

// checkPKCS12Iterations refuses a PKCS#12 file whose MAC, encrypted safes
// or shrouded key bags ask for more than MaxIterations: go-pkcs12 has no
// cap, and a crafted file with 2^31 would pin a CPU for minutes. Structures
// it cannot read are left for go-pkcs12 to report.
func checkPKCS12Iterations(data []byte) error {
	var pfx struct {
		Version  int
		AuthSafe contentInfo
		MacData  struct {
			Mac struct {
				Algorithm pkix.AlgorithmIdentifier
				Digest    []byte
			}
			MacSalt    []byte
			Iterations int `asn1:"optional,default:1"`
		} `asn1:"optional"`
	}
	if _, err := asn1.Unmarshal(data, &pfx); err != nil {
		return nil
	}
	if mac := pfx.MacData.Mac.Algorithm; len(mac.Algorithm) > 0 {
		if err := checkIterations(pfx.MacData.Iterations); err != nil {
			return err
		}
		if err := checkPBEIterations(mac); err != nil { // PBMAC1
			return err
		}
	}
	var authSafe []byte
	var infos []contentInfo
	if _, err := asn1.Unmarshal(pfx.AuthSafe.Content.Bytes, &authSafe); err != nil {
		return nil
	}
	if _, err := asn1.Unmarshal(authSafe, &infos); err != nil {
		return nil
	}
	for _, ci := range infos {
		if ci.ContentType.Equal(oidEncryptedDataContentType) {
			var ed struct {
				Version int
				Info    struct {
					ContentType asn1.ObjectIdentifier
					Algorithm   pkix.AlgorithmIdentifier
				}
			}
			if _, err := asn1.Unmarshal(ci.Content.Bytes, &ed); err == nil {
				if err := checkPBEIterations(ed.Info.Algorithm); err != nil {
					return err
				}
			}
			continue
		}
		var safe []byte
		var bags []safeBag
		if _, err := asn1.Unmarshal(ci.Content.Bytes, &safe); err != nil {
			continue
		}
		if _, err := asn1.Unmarshal(safe, &bags); err != nil {
			continue
		}
		for _, b := range bags {
			var epki encryptedPrivateKeyInfo
			if !b.ID.Equal(oidShroudedKeyBag) {
				continue
			}
			if _, err := asn1.Unmarshal(b.Value.Bytes, &epki); err == nil {
				if err := checkPBEIterations(epki.Algo); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// checkPBEIterations checks the iteration count of a PKCS#12 PBE
// (SEQUENCE { salt, iterations }), PBES2 or PBMAC1 algorithm.
func checkPBEIterations(alg pkix.AlgorithmIdentifier) error {
	params := alg.Parameters.FullBytes
	if alg.Algorithm.Equal(oidPBES2) || alg.Algorithm.Equal(oidPBMAC1) {
		var p pbes2Params // PBMAC1-params has the same shape
		if _, err := asn1.Unmarshal(params, &p); err != nil {
			return nil
		}
		params = p.KDF.Parameters.FullBytes
	}
	var p struct {
		Salt       asn1.RawValue
		Iterations int
	}
	if _, err := asn1.Unmarshal(params, &p); err != nil {
		return nil
	}
	return checkIterations(p.Iterations)
}
