package certstore

import (
	"crypto"
	"crypto/subtle"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"strings"

	_ "crypto/sha1" // VID hashes
	_ "crypto/sha256"
	_ "crypto/sha512"

	"github.com/opensvpn/svpn/api"
)

// IdentifyData is KISA's identity extension (KCAC.TS.SIVID): the holder's
// real name and the VID, a double hash of the resident registration number
// and the random value R kept beside the private key. It lets a relying
// party confirm that a certificate belongs to a given person without the
// certificate revealing the number.
type IdentifyData struct {
	RealName string
	Hash     crypto.Hash // SHA-1 when the certificate names none
	VID      []byte
}

// Wire forms, per KCAC.TS.SIVID:
//
//	IdentifyData ::= SEQUENCE { realName UTF8String, userInfos SEQUENCE OF UserInfo }
//	UserInfo     ::= SEQUENCE { idType OBJECT IDENTIFIER (kisa-vid), idValue VID }
//	VID          ::= SEQUENCE { hashAlg AlgorithmIdentifier OPTIONAL, virtualID [0] EXPLICIT OCTET STRING }
//	HashContent  ::= SEQUENCE { idn PrintableString, randomNum BIT STRING }
type identifyData struct {
	RealName  string `asn1:"utf8"`
	UserInfos []userInfo
}

type userInfo struct {
	IDType  asn1.ObjectIdentifier
	IDValue vidValue
}

type vidValue struct {
	HashAlg   pkix.AlgorithmIdentifier `asn1:"optional"`
	VirtualID []byte                   `asn1:"explicit,tag:0"`
}

type hashContent struct {
	IDN        string `asn1:"printable"`
	RandomNums asn1.BitString
}

// otherName is the otherName CHOICE of GeneralName, [0] IMPLICIT.
type otherName struct {
	TypeID asn1.ObjectIdentifier
	Value  asn1.RawValue `asn1:"explicit,tag:0"`
}

var vidHashes = []struct {
	oid asn1.ObjectIdentifier
	h   crypto.Hash
}{
	{oidSHA1, crypto.SHA1},
	{oidSHA256, crypto.SHA256},
	{oidSHA384, crypto.SHA384},
	{oidSHA512, crypto.SHA512},
}

// ParseIdentifyData returns the KISA identity extension of x.
func ParseIdentifyData(x *x509.Certificate) (*IdentifyData, error) {
	return parseIdentifyData(x)
}

func parseIdentifyData(x *x509.Certificate) (*IdentifyData, error) {
	for _, ext := range x.Extensions {
		if !ext.Id.Equal(oidSubjectAltName) {
			continue
		}
		var names []asn1.RawValue
		if err := unmarshalStrict(ext.Value, &names); err != nil {
			return nil, api.Errorf(api.CodeCertCorrupt, "subjectAltName: %w", err)
		}
		for _, n := range names {
			if n.Class != asn1.ClassContextSpecific || n.Tag != 0 {
				continue
			}
			var on otherName
			if _, err := asn1.UnmarshalWithParams(n.FullBytes, &on, "tag:0"); err != nil {
				return nil, api.Errorf(api.CodeCertCorrupt, "otherName: %w", err)
			}
			if !on.TypeID.Equal(oidKISAIdentifyData) {
				continue
			}
			return decodeIdentifyData(on.Value.Bytes)
		}
	}
	return nil, api.Errorf(api.CodeCertNoVID, "the certificate has no KISA identity data")
}

func decodeIdentifyData(der []byte) (*IdentifyData, error) {
	var id identifyData
	if err := unmarshalStrict(der, &id); err != nil {
		return nil, api.Errorf(api.CodeCertCorrupt, "identity data: %w", err)
	}
	out := &IdentifyData{RealName: id.RealName}
	for _, ui := range id.UserInfos {
		if !ui.IDType.Equal(oidKISAVID) {
			continue
		}
		out.Hash = crypto.SHA1
		if len(ui.IDValue.HashAlg.Algorithm) > 0 {
			out.Hash = 0
			for _, h := range vidHashes {
				if h.oid.Equal(ui.IDValue.HashAlg.Algorithm) {
					out.Hash = h.h
				}
			}
			if out.Hash == 0 {
				return nil, api.Errorf(api.CodeCertUnsupported, "VID hash %v", ui.IDValue.HashAlg.Algorithm)
			}
		}
		out.VID = ui.IDValue.VirtualID
		return out, nil
	}
	return out, nil
}

// MarshalIdentifyData encodes the subjectAltName extension value carrying
// realName and the VID of idn and random. Used by the fixture generator and
// by tests; CAs do this when they issue a certificate.
func MarshalIdentifyData(realName, idn string, random []byte, h crypto.Hash) ([]byte, error) {
	var hashOID asn1.ObjectIdentifier
	for _, v := range vidHashes {
		if v.h == h {
			hashOID = v.oid
		}
	}
	if hashOID == nil {
		return nil, api.Errorf(api.CodeCertUnsupported, "VID hash %v", h)
	}
	vid, err := ComputeVID(h, idn, random)
	if err != nil {
		return nil, err
	}
	inner, err := asn1.Marshal(identifyData{
		RealName: realName,
		UserInfos: []userInfo{{
			IDType:  oidKISAVID,
			IDValue: vidValue{HashAlg: pkix.AlgorithmIdentifier{Algorithm: hashOID}, VirtualID: vid},
		}},
	})
	if err != nil {
		return nil, err
	}
	// asn1.Marshal writes a RawValue verbatim, ignoring "explicit": wrap
	// the value in its [0] by hand.
	on, err := asn1.MarshalWithParams(struct {
		TypeID asn1.ObjectIdentifier
		Value  asn1.RawValue
	}{oidKISAIdentifyData, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: inner}}, "tag:0")
	if err != nil {
		return nil, err
	}
	return asn1.Marshal([]asn1.RawValue{{FullBytes: on}})
}

// ComputeVID computes h(h(HashContent{idn, random})). idn is the resident
// (or business) registration number; dashes and spaces are ignored.
func ComputeVID(h crypto.Hash, idn string, random []byte) ([]byte, error) {
	idn = strings.NewReplacer("-", "", " ", "").Replace(idn)
	if idn == "" || !h.Available() {
		return nil, api.Errorf(api.CodeBadRequest, "no identification number")
	}
	content, err := asn1.Marshal(hashContent{IDN: idn, RandomNums: asn1.BitString{Bytes: random, BitLength: 8 * len(random)}})
	if err != nil {
		return nil, api.Errorf(api.CodeBadRequest, "identification number: %w", err)
	}
	d := h.New()
	d.Write(content)
	first := d.Sum(nil)
	d.Reset()
	d.Write(first)
	return d.Sum(nil), nil
}

// VerifyVID checks that idn is the identification number of the holder of
// x, using R from the holder's private key.
func VerifyVID(x *x509.Certificate, random []byte, idn string) error {
	id, err := parseIdentifyData(x)
	if err != nil {
		return err
	}
	if len(id.VID) == 0 {
		return api.Errorf(api.CodeCertNoVID, "the certificate has no VID")
	}
	if len(random) == 0 {
		return api.Errorf(api.CodeCertNoVID, "the private key has no random value R")
	}
	vid, err := ComputeVID(id.Hash, idn, random)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(vid, id.VID) != 1 {
		return api.Errorf(api.CodeCertVIDMismatch, "the identification number does not match the certificate")
	}
	return nil
}
