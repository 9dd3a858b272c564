// Package certgen builds realistic Korean PKI material for tests and for
// `svpn-gateway demo`: a root CA and an accredited-CA-like intermediate,
// user certificates shaped like those yessign, KICA or GPKI issue (Korean
// policy OIDs, Hangul CNs, the KISA identity extension with a VID), their
// keys in the legacy SEED and PBES2 forms, NPKI and GPKI folder trees, and
// PKCS#12 files.
//
// It is not a CA product: keys are generated in memory with crypto/rand and
// written where the caller says.
package certgen

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/opensvpn/svpn/certstore"
)

// Well-known policy OIDs, for UserOptions.PolicyOID.
const (
	PolicyYessignGeneral = "1.2.410.200005.1.1.1" // 범용 개인
	PolicyYessignBank    = "1.2.410.200005.1.1.4" // 은행·보험·카드용
	PolicyKICAGeneral    = "1.2.410.200004.5.2.1.2"
	PolicySignKorea      = "1.2.410.200004.5.1.1.5"
	PolicyCrossCert      = "1.2.410.200004.5.4.1.1"
	PolicyTradeSign      = "1.2.410.200012.1.1.1"
	PolicyGPKIPersonal   = "1.2.410.100001.2.2.1" // 행정
)

var (
	oidSubjectAltName = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidCN             = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidC              = asn1.ObjectIdentifier{2, 5, 4, 6}
	oidO              = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidOU             = asn1.ObjectIdentifier{2, 5, 4, 11}
)

// CA is a certificate authority that can issue certificates.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// RDN builds a distinguished name in the order given (C first, CN last), the
// way Korean CAs encode subjects; pkix.Name would merge repeated OUs.
type RDN struct{ Type, Value string }

func rawName(rdns []RDN) ([]byte, error) {
	types := map[string]asn1.ObjectIdentifier{"C": oidC, "O": oidO, "OU": oidOU, "CN": oidCN}
	var seq pkix.RDNSequence
	for _, r := range rdns {
		oid, ok := types[r.Type]
		if !ok {
			return nil, fmt.Errorf("certgen: unknown attribute %q", r.Type)
		}
		var v any = r.Value
		if r.Type == "C" {
			v = asn1.RawValue{Tag: asn1.TagPrintableString, Bytes: []byte(r.Value)}
		}
		seq = append(seq, pkix.RelativeDistinguishedNameSET{{Type: oid, Value: v}})
	}
	return asn1.Marshal(seq)
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 63))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return n.Add(n, big.NewInt(1))
}

func keyID(pub crypto.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil
	}
	h := sha1.Sum(der)
	return h[:]
}

// NewRootCA creates a self-signed root, like KISA's RootCA.
func NewRootCA(subject []RDN, validFor time.Duration) (*CA, error) {
	return newCA(nil, subject, validFor)
}

// NewIntermediate issues a subordinate CA, like yessignCA Class 2.
func (ca *CA) NewIntermediate(subject []RDN, validFor time.Duration) (*CA, error) {
	return newCA(ca, subject, validFor)
}

// newCA makes a CA certificate signed by parent, or self-signed when parent
// is nil. Subordinate CAs may not issue further CAs.
func newCA(parent *CA, subject []RDN, validFor time.Duration) (*CA, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	raw, err := rawName(subject)
	if err != nil {
		return nil, err
	}
	now := time.Now().Add(-time.Hour)
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		RawSubject:            raw,
		NotBefore:             now,
		NotAfter:              now.Add(validFor),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        parent != nil,
		SubjectKeyId:          keyID(key.Public()),
	}
	issuer, signer := tmpl, crypto.Signer(key)
	if parent != nil {
		issuer, signer = parent.Cert, parent.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, key.Public(), signer)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key}, nil
}

// UserOptions describe a user certificate.
type UserOptions struct {
	Name       string        // holder's name, e.g. 홍길동
	CommonName string        // full CN; default "<Name>()<serial digits>", as Korean CAs write it
	IDN        string        // resident registration number for the VID; default a test number
	PolicyOID  string        // default PolicyYessignGeneral
	OU         []string      // default personal4IB + a bank name
	Org        string        // default the issuer's O
	NotBefore  time.Time     // default an hour ago
	NotAfter   time.Time     // default a year after NotBefore
	Key        crypto.Signer // reuse a key (fast bulk trees); default a new RSA-2048 key
	ECDSA      bool          // generate a P-256 key instead of RSA
	Random     []byte        // R; default 20 random bytes
	VIDHash    crypto.Hash   // default SHA-256
	CRLURL     string        // CRL distribution point, optional
}

// User is an issued user certificate with its key and R.
type User struct {
	Cert   *x509.Certificate
	Key    crypto.Signer
	Random []byte
	IDN    string
}

// IssueUser issues a signing certificate for a person.
func (ca *CA) IssueUser(o UserOptions) (*User, error) {
	key := o.Key
	if key == nil {
		var err error
		if o.ECDSA {
			key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		} else {
			key, err = rsa.GenerateKey(rand.Reader, 2048)
		}
		if err != nil {
			return nil, err
		}
	}
	if o.Name == "" {
		o.Name = "홍길동"
	}
	sn := serial()
	if o.CommonName == "" {
		o.CommonName = fmt.Sprintf("%s()%022d", o.Name, new(big.Int).Mod(sn, big.NewInt(1e18)))
	}
	if o.IDN == "" {
		o.IDN = "8001011234567"
	}
	if o.PolicyOID == "" {
		o.PolicyOID = PolicyYessignGeneral
	}
	if o.OU == nil {
		o.OU = []string{"personal4IB", "SVPNBANK"}
	}
	if o.Org == "" && len(ca.Cert.Subject.Organization) > 0 {
		o.Org = ca.Cert.Subject.Organization[0]
	}
	if o.NotBefore.IsZero() {
		o.NotBefore = time.Now().Add(-time.Hour)
	}
	if o.NotAfter.IsZero() {
		o.NotAfter = o.NotBefore.AddDate(1, 0, 0)
	}
	if o.Random == nil {
		o.Random = make([]byte, 20)
		if _, err := io.ReadFull(rand.Reader, o.Random); err != nil {
			return nil, err
		}
	}
	if o.VIDHash == 0 {
		o.VIDHash = crypto.SHA256
	}
	subject := []RDN{{"C", "kr"}, {"O", o.Org}}
	for _, ou := range o.OU {
		subject = append(subject, RDN{"OU", ou})
	}
	subject = append(subject, RDN{"CN", o.CommonName})
	raw, err := rawName(subject)
	if err != nil {
		return nil, err
	}
	san, err := certstore.MarshalIdentifyData(o.Name, o.IDN, o.Random, o.VIDHash)
	if err != nil {
		return nil, err
	}
	policy, err := x509.ParseOID(o.PolicyOID)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:    sn,
		RawSubject:      raw,
		NotBefore:       o.NotBefore,
		NotAfter:        o.NotAfter,
		KeyUsage:        x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		Policies:        []x509.OID{policy},
		SubjectKeyId:    keyID(key.Public()),
		ExtraExtensions: []pkix.Extension{{Id: oidSubjectAltName, Value: san}},
	}
	if o.CRLURL != "" {
		tmpl.CRLDistributionPoints = []string{o.CRLURL}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &User{Cert: cert, Key: key, Random: o.Random, IDN: o.IDN}, nil
}

// IssueServer issues a TLS server certificate for names (DNS names or IP
// addresses), for the demo gateway.
func (ca *CA) IssueServer(names []string, validFor time.Duration) (*x509.Certificate, crypto.Signer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now().Add(-time.Hour)
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: names[0]},
		NotBefore:    now,
		NotAfter:     now.Add(validFor),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

// EncryptedKey returns the user's key as a key file (signPri.key) in the
// given scheme, with R as the KISA attribute.
func (u *User) EncryptedKey(password string, scheme certstore.Scheme) ([]byte, error) {
	plain, err := certstore.MarshalPKCS8(u.Key, u.Random)
	if err != nil {
		return nil, err
	}
	return certstore.EncryptPrivateKey(rand.Reader, plain, []byte(password), scheme, certstore.DefaultIterations)
}

// WriteNPKI writes the certificate under npkiDir exactly as NPKI software
// lays it out, <npkiDir>/<CA>/USER/<subject>/, and returns the folder.
func (u *User) WriteNPKI(npkiDir, password string, scheme certstore.Scheme) (string, error) {
	key, err := u.EncryptedKey(password, scheme)
	if err != nil {
		return "", err
	}
	return certstore.WriteNPKI(npkiDir, u.Cert, key)
}

// WriteNPKIFolder writes signCert.der and signPri.key into dir as given,
// for trees whose folder names are CP949 bytes or decomposed Hangul.
func (u *User) WriteNPKIFolder(dir, password string, scheme certstore.Scheme) error {
	key, err := u.EncryptedKey(password, scheme)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "signCert.der"), u.Cert.Raw, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "signPri.key"), key, 0o600)
}

// WriteGPKI writes <class2Dir>/<base>_sig.cer and <base>_sig.key, the GPKI
// layout, and returns the certificate path.
func (u *User) WriteGPKI(class2Dir, base, password string, scheme certstore.Scheme) (string, error) {
	key, err := u.EncryptedKey(password, scheme)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(class2Dir, 0o700); err != nil {
		return "", err
	}
	certPath := filepath.Join(class2Dir, base+"_sig.cer")
	if err := os.WriteFile(certPath, u.Cert.Raw, 0o644); err != nil {
		return "", err
	}
	return certPath, os.WriteFile(filepath.Join(class2Dir, base+"_sig.key"), key, 0o600)
}

// PKCS12 returns the certificate and key as a PKCS#12 file.
func (u *User) PKCS12(password string) ([]byte, error) {
	return certstore.EncodePKCS12(rand.Reader, u.Key, u.Cert, password)
}

// WritePEM saves the CA certificate and key (PKCS#8, unencrypted, mode 0600)
// so a demo can reuse it across runs.
func (ca *CA) WritePEM(certPath, keyPath string) error {
	keyDER, err := x509.MarshalPKCS8PrivateKey(ca.Key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw}), 0o644); err != nil {
		return err
	}
	return os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
}

// LoadCA reads a CA saved by WritePEM.
func LoadCA(certPath, keyPath string) (*CA, error) {
	cb, err := os.ReadFile(certPath)
	if err != nil {
		return nil, err
	}
	kb, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, err
	}
	cp, _ := pem.Decode(cb)
	kp, _ := pem.Decode(kb)
	if cp == nil || kp == nil {
		return nil, errors.New("certgen: CA files are not PEM")
	}
	cert, err := x509.ParseCertificate(cp.Bytes)
	if err != nil {
		return nil, err
	}
	key, err := x509.ParsePKCS8PrivateKey(kp.Bytes)
	if err != nil {
		return nil, err
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, errors.New("certgen: CA key cannot sign")
	}
	return &CA{Cert: cert, Key: signer}, nil
}
