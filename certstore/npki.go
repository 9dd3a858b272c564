package certstore

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/opensvpn/svpn/api"
)

// HomeNPKIDir returns the hard-disk NPKI folder of the running OS, where
// Import writes when no drive is given.
func HomeNPKIDir() (string, error) {
	for _, s := range diskSources() {
		if s.Layout == LayoutNPKI {
			return s.Dir, nil
		}
	}
	return "", errors.New("certstore: no hard-disk NPKI folder on this system")
}

// NPKIFolderName is the folder name NPKI products give a certificate: its
// subject DN from CN to C with lower-case attribute names, such as
// "cn=홍길동()0012345...,ou=personal4IB,o=yessign,c=kr".
func NPKIFolderName(x *x509.Certificate) string {
	var rdns pkix.RDNSequence
	if _, err := asn1.Unmarshal(x.RawSubject, &rdns); err != nil || len(rdns) == 0 {
		return fmt.Sprintf("serial=%x", x.SerialNumber)
	}
	var parts []string
	for i := len(rdns) - 1; i >= 0; i-- {
		for _, atv := range rdns[i] {
			parts = append(parts, attrName(atv.Type)+"="+fmt.Sprint(atv.Value))
		}
	}
	if name := sanitizeFileName(strings.Join(parts, ",")); name != "" {
		return name
	}
	return fmt.Sprintf("serial=%x", x.SerialNumber) // a subject of empty RDNs
}

var attrNames = map[string]string{
	"2.5.4.3":              "cn",
	"2.5.4.6":              "c",
	"2.5.4.7":              "l",
	"2.5.4.8":              "st",
	"2.5.4.10":             "o",
	"2.5.4.11":             "ou",
	"2.5.4.5":              "serialNumber",
	"1.2.840.113549.1.9.1": "e",
}

func attrName(oid asn1.ObjectIdentifier) string {
	if n, ok := attrNames[oid.String()]; ok {
		return n
	}
	return oid.String()
}

// sanitizeFileName replaces characters no file system accepts in a name.
func sanitizeFileName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || strings.ContainsRune(`/\:*?"<>|`, r) {
			return '_'
		}
		return r
	}, s)
	s = strings.TrimRight(s, ". ")
	if len(s) > 200 { // keep paths under Windows' MAX_PATH
		cut := 200
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}

// npkiCAFolder is the CA folder name NPKI products use under NPKI/.
func npkiCAFolder(x *x509.Certificate) string {
	ca, _ := lookupPolicy(firstPolicy(x))
	if ca == "" {
		ca = caFromOrganization(x.Issuer.Organization)
	}
	if ca == "" && len(x.Issuer.Organization) > 0 {
		ca = x.Issuer.Organization[0]
	}
	if ca = sanitizeFileName(ca); ca == "" { // also an O of only dots and spaces
		ca = "Unknown"
	}
	return ca
}

// WriteNPKI stores cert and its encrypted key file as NPKI software does:
// <npkiDir>/<CA>/USER/<subject>/signCert.der + signPri.key. An existing
// folder for the same certificate is replaced; one holding another
// certificate is an error. Returns the certificate folder.
func WriteNPKI(npkiDir string, x *x509.Certificate, encryptedKey []byte) (string, error) {
	dir := filepath.Join(npkiDir, npkiCAFolder(x), "USER", NPKIFolderName(x))
	certPath := filepath.Join(dir, npkiCertFile)
	if old, err := os.ReadFile(certPath); err == nil && !bytes.Equal(old, x.Raw) {
		return "", api.Errorf(api.CodeBadRequest, "%s already holds another certificate", dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", ioError(dir, err)
	}
	if err := writeFileAtomic(certPath, x.Raw, 0o644); err != nil {
		return "", err
	}
	if err := writeFileAtomic(filepath.Join(dir, npkiKeyFile), encryptedKey, 0o600); err != nil {
		return "", err
	}
	return dir, nil
}

// writeFileAtomic writes through a temporary file and a rename, so a pulled
// drive or a crash never leaves half a key file.
func writeFileAtomic(path string, data []byte, perm fs.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".svpn-*")
	if err != nil {
		return ioError(path, err)
	}
	tmp := f.Name()
	_, err = io.Copy(f, bytes.NewReader(data))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, perm)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return ioError(path, err)
	}
	return nil
}

// ExportPKCS12 decrypts the certificate's key with password and returns a
// PKCS#12 file protected by the same password, for moving a certificate to
// another PC. The random value R is not carried: PKCS#12 has no place for
// it that other software reads.
func (c *Certificate) ExportPKCS12(rand io.Reader, password []byte) ([]byte, error) {
	id, err := c.Unlock(password)
	if err != nil {
		return nil, err
	}
	return EncodePKCS12(rand, id.Key.Signer, c.X509, string(password))
}

// ImportIterations is the PBKDF2 iteration count of keys ImportPKCS12
// writes: five times what NPKI products use, still a few milliseconds per
// unlock.
const ImportIterations = 10_000

// ImportPKCS12 reads a PKCS#12 file and writes it in the NPKI layout under
// npkiDir, the key encrypted with the same password as PBES2 with
// PBKDF2-HMAC-SHA256 (ImportIterations) and SEED-CBC (SchemePBES2SEED), the
// form NPKI keys renewed since about 2019 have and Korean signing software
// reads; not KISA's legacy PBKDF1-SHA1 scheme, whose 2048 SHA-1 rounds a
// stolen key file barely slows down. Returns the imported certificate.
func ImportPKCS12(rand io.Reader, p12 []byte, password []byte, npkiDir string, loc Location) (*Certificate, error) {
	key, x, err := decodePKCS12(p12, string(password))
	if err != nil {
		return nil, err
	}
	if !KeyMatches(key, x.PublicKey) {
		return nil, api.Errorf(api.CodeCertKeyMismatch, "the PKCS#12 key does not belong to its certificate")
	}
	plain, err := MarshalPKCS8(key, nil)
	if err != nil {
		return nil, api.Errorf(api.CodeCertUnsupported, "private key: %w", err)
	}
	enc, err := EncryptPrivateKey(rand, plain, password, SchemePBES2SEED, ImportIterations)
	if err != nil {
		return nil, err
	}
	dir, err := WriteNPKI(npkiDir, x, enc)
	if err != nil {
		return nil, err
	}
	return &Certificate{X509: x, Kind: KindNPKI, Location: loc, Path: filepath.Join(dir, npkiCertFile), KeyPath: filepath.Join(dir, npkiKeyFile)}, nil
}
