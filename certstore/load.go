package certstore

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/opensvpn/svpn/api"
)

// NPKI and GPKI file names.
const (
	npkiCertFile = "signCert.der"
	npkiKeyFile  = "signPri.key"
	gpkiCertExt  = "_sig.cer"
	gpkiKeyExt   = "_sig.key"
)

// readFileLimited reads a certificate or key file, refusing anything larger
// than any real one.
func readFileLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, ioError(path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileLen+1))
	if err != nil {
		return nil, ioError(path, err)
	}
	if len(data) > maxKeyFileLen {
		return nil, api.Errorf(api.CodeCertCorrupt, "%s: larger than %d bytes", path, maxKeyFileLen)
	}
	return data, nil
}

// Load reads the certificate at path, which is an NPKI signCert.der or its
// folder, a GPKI *_sig.cer, or a PKCS#12 .pfx/.p12 file. The location is
// LocationFile: the user pointed at it.
func Load(path string) (*Certificate, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, ioError(path, err)
	}
	if st.IsDir() {
		path = filepath.Join(path, npkiCertFile)
	}
	lower := strings.ToLower(path)
	switch {
	case strings.HasSuffix(lower, ".pfx"), strings.HasSuffix(lower, ".p12"):
		return loadPKCS12(path, LocationFile)
	case strings.HasSuffix(lower, gpkiCertExt):
		return loadPair(path, path[:len(path)-len(gpkiCertExt)]+gpkiKeyExt, KindGPKI, LocationFile)
	}
	return loadPair(path, filepath.Join(filepath.Dir(path), npkiKeyFile), KindNPKI, LocationFile)
}

// loadPair reads a certificate file that has its key in a separate file.
func loadPair(certPath, keyPath string, kind Kind, loc Location) (*Certificate, error) {
	data, err := readFileLimited(certPath)
	if err != nil {
		return nil, err
	}
	x, err := ParseCertificate(data)
	if err != nil {
		return nil, withPath(certPath, err)
	}
	return &Certificate{X509: x, Kind: kind, Location: loc, Path: certPath, KeyPath: keyPath}, nil
}

func loadPKCS12(path string, loc Location) (*Certificate, error) {
	data, err := readFileLimited(path)
	if err != nil {
		return nil, err
	}
	x, err := peekPKCS12Certificate(data)
	if err != nil {
		return nil, withPath(path, err)
	}
	return &Certificate{X509: x, Kind: KindPKCS12, Location: loc, Path: path, KeyPath: path}, nil
}

// LoadPKCS12 opens a PKCS#12 file with its password, for files whose
// certificate is encrypted too (Load then fails with cert_password_needed).
func LoadPKCS12(path string, password []byte) (*Identity, error) {
	data, err := readFileLimited(path)
	if err != nil {
		return nil, err
	}
	key, x, err := decodePKCS12(data, string(password))
	if err != nil {
		return nil, withPath(path, err)
	}
	c := &Certificate{X509: x, Kind: KindPKCS12, Location: LocationFile, Path: path, KeyPath: path}
	if !KeyMatches(key, x.PublicKey) {
		return nil, api.Errorf(api.CodeCertKeyMismatch, "%s: the key does not belong to the certificate", path)
	}
	return &Identity{Certificate: c, Key: &PrivateKey{Signer: key}}, nil
}

// withPath prefixes an *api.Error's message with the file it concerns.
func withPath(path string, err error) error {
	if e, ok := err.(*api.Error); ok {
		return &api.Error{Code: e.Code, Message: path + ": " + e.Message, Err: e.Err}
	}
	return err
}

// Identity is an unlocked certificate: the certificate and its private key.
type Identity struct {
	Certificate *Certificate
	Key         *PrivateKey
}

// Unlock decrypts the certificate's private key with password and checks
// that it belongs to the certificate. The password is used as UTF-8 bytes,
// which is what NPKI products do for the ASCII passwords they allow.
func (c *Certificate) Unlock(password []byte) (*Identity, error) {
	if c.Kind == KindPKCS12 {
		id, err := LoadPKCS12(c.KeyPath, password)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(id.Certificate.X509.Raw, c.X509.Raw) {
			return nil, api.Errorf(api.CodeCertKeyMismatch, "%s changed since it was listed", c.KeyPath)
		}
		id.Certificate = c
		return id, nil
	}
	data, err := readFileLimited(c.KeyPath)
	if err != nil {
		return nil, err
	}
	return unlockWith(c, data, password)
}

func unlockWith(c *Certificate, keyFile, password []byte) (*Identity, error) {
	plain, err := decryptPKCS8(keyFile, password)
	if err != nil {
		return nil, withPath(c.KeyPath, err)
	}
	key, err := ParsePKCS8(plain)
	if err != nil {
		// Valid padding over garbage: a wrong password (about 1 in 256).
		return nil, api.Errorf(api.CodeCertPasswordWrong, "the certificate password is wrong")
	}
	if !KeyMatches(key.Signer, c.X509.PublicKey) {
		return nil, api.Errorf(api.CodeCertKeyMismatch, "%s: the key does not belong to the certificate %s", c.KeyPath, c.Path)
	}
	return &Identity{Certificate: c, Key: key}, nil
}
