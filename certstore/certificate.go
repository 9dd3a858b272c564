package certstore

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/opensvpn/svpn/api"
)

// Location is where a certificate was found: the picker's location buttons.
type Location string

const (
	LocationDisk      Location = "disk"      // 하드디스크
	LocationRemovable Location = "removable" // 이동식디스크
	LocationFile      Location = "file"      // a file the user pointed to (찾아보기)
)

// Kind is the storage format of a certificate and its key.
type Kind string

const (
	KindNPKI   Kind = "npki"   // signCert.der + signPri.key in NPKI/<CA>/USER/<subject>/
	KindGPKI   Kind = "gpki"   // <name>_sig.cer + <name>_sig.key in GPKI/Certificate/class2/
	KindPKCS12 Kind = "pkcs12" // .pfx / .p12
)

// ExpiringSoon is how far ahead of expiry a certificate is flagged.
const ExpiringSoon = 30 * 24 * time.Hour

// Certificate is a certificate found on disk, with where its key is.
type Certificate struct {
	X509     *x509.Certificate
	Kind     Kind
	Location Location
	Path     string // the certificate file (signCert.der, *_sig.cer, .pfx)
	KeyPath  string // the key file (signPri.key, *_sig.key; the .pfx itself)
}

// Info describes a certificate the way the picker shows it. Its JSON form
// is the contract of `svpnctl certs list --json`.
type Info struct {
	Name           string    `json:"name"`             // 홍길동, from the CN
	Subject        string    `json:"subject"`          // full subject DN
	Issuer         string    `json:"issuer"`           // full issuer DN
	IssuerCA       string    `json:"issuer_ca"`        // yessign, KICA, … GPKI
	IssuerCAKorean string    `json:"issuer_ca_korean"` // 금융결제원, …
	Purpose        Purpose   `json:"purpose"`          // 범용 개인, 은행·보험·카드용, …
	PurposeEnglish string    `json:"purpose_en"`
	PolicyOID      string    `json:"policy_oid"`
	Serial         string    `json:"serial"` // lower-case hex
	NotBefore      time.Time `json:"not_before"`
	NotAfter       time.Time `json:"not_after"`
	Expired        bool      `json:"expired"`
	NotYetValid    bool      `json:"not_yet_valid"`
	ExpiringSoon   bool      `json:"expiring_soon"` // valid, but expires within 30 days
	DaysLeft       int       `json:"days_left"`     // negative once expired
	Kind           Kind      `json:"kind"`
	Location       Location  `json:"location"`
	Path           string    `json:"path"`
	KeyPath        string    `json:"key_path"`
}

// Info describes c as of now.
func (c *Certificate) Info(now time.Time) Info {
	x := c.X509
	policy := firstPolicy(x)
	ca, purpose := lookupPolicy(policy)
	if ca == "" {
		ca = caFromOrganization(x.Issuer.Organization)
	}
	if ca == "" && len(x.Issuer.Organization) > 0 {
		ca = x.Issuer.Organization[0]
	}
	in := Info{
		Name:           DisplayName(x),
		Subject:        dnString(x.RawSubject, x.Subject),
		Issuer:         dnString(x.RawIssuer, x.Issuer),
		IssuerCA:       ca,
		IssuerCAKorean: KoreanCAName(ca),
		Purpose:        purpose,
		PurposeEnglish: purpose.English(),
		PolicyOID:      policy,
		Serial:         fmt.Sprintf("%x", x.SerialNumber),
		NotBefore:      x.NotBefore.UTC(),
		NotAfter:       x.NotAfter.UTC(),
		Expired:        now.After(x.NotAfter),
		NotYetValid:    now.Before(x.NotBefore),
		Kind:           c.Kind,
		Location:       c.Location,
		Path:           c.Path,
		KeyPath:        c.KeyPath,
	}
	left := x.NotAfter.Sub(now)
	in.DaysLeft = int(left.Hours() / 24)
	if left < 0 && in.DaysLeft == 0 {
		in.DaysLeft = -1
	}
	in.ExpiringSoon = !in.Expired && left < ExpiringSoon
	return in
}

// firstPolicy returns the certificate's first policy OID: Korean CAs put the
// one that tells the purpose first (and usually alone).
func firstPolicy(x *x509.Certificate) string {
	if len(x.PolicyIdentifiers) > 0 {
		return x.PolicyIdentifiers[0].String()
	}
	for _, p := range x.Policies {
		return p.String()
	}
	return ""
}

// DisplayName returns the holder's name as users know it: the part of the
// CN before the parenthesis, 홍길동 from "홍길동()0012345…", keeping a legal
// form prefix such as "(주)" of corporate certificates. GPKI CNs carry a
// trailing number, which is dropped.
func DisplayName(x *x509.Certificate) string {
	cn := strings.TrimSpace(x.Subject.CommonName)
	if cn == "" {
		if id, err := parseIdentifyData(x); err == nil && id.RealName != "" {
			return id.RealName
		}
		return x.Subject.String()
	}
	prefix := ""
	if strings.HasPrefix(cn, "(") {
		if i := strings.IndexRune(cn, ')'); i > 0 && i <= 1+2*4 {
			prefix, cn = cn[:i+1], cn[i+1:]
		}
	}
	if i := strings.IndexRune(cn, '('); i > 0 {
		cn = cn[:i]
	}
	cn = strings.TrimRightFunc(cn, func(r rune) bool { return unicode.IsDigit(r) || unicode.IsSpace(r) })
	if cn == "" {
		return strings.TrimSpace(x.Subject.CommonName)
	}
	return prefix + cn
}

// ParseCertificate parses a certificate file: DER as NPKI and GPKI store it,
// or PEM.
func ParseCertificate(data []byte) (*x509.Certificate, error) {
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN")) {
		block, _ := pem.Decode(data)
		if block == nil || block.Type != "CERTIFICATE" {
			return nil, api.Errorf(api.CodeCertCorrupt, "no PEM certificate")
		}
		data = block.Bytes
	}
	// Refuse trailing garbage: x509 tolerates none, but say so clearly.
	var raw asn1.RawValue
	if rest, err := asn1.Unmarshal(data, &raw); err != nil || len(rest) != 0 {
		return nil, api.Errorf(api.CodeCertCorrupt, "not a DER certificate")
	}
	x, err := x509.ParseCertificate(data)
	if err != nil {
		return nil, api.Errorf(api.CodeCertCorrupt, "certificate: %w", err)
	}
	return x, nil
}

// dnString formats a DN from its DER, keeping each RDN as the CA wrote it
// (pkix.Name.String merges repeated OU attributes into one RDN).
func dnString(raw []byte, fallback pkix.Name) string {
	var rdns pkix.RDNSequence
	if rest, err := asn1.Unmarshal(raw, &rdns); err != nil || len(rest) != 0 {
		return fallback.String()
	}
	return rdns.String()
}

// SubjectString is the subject DN as SVPN writes it everywhere (account
// bindings, audit log): RFC 4514 order, each RDN as the CA encoded it.
func SubjectString(x *x509.Certificate) string { return dnString(x.RawSubject, x.Subject) }

// IssuerString is the issuer DN in the form SubjectString gives the
// issuing CA's subject.
func IssuerString(x *x509.Certificate) string { return dnString(x.RawIssuer, x.Issuer) }
