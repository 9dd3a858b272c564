package certstore

import (
	"bytes"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/opensvpn/svpn/api"
)

// HomeGPKIDir returns the hard-disk GPKI class2 folder of the running OS.
func HomeGPKIDir() (string, error) {
	for _, s := range diskSources() {
		if s.Layout == LayoutGPKI {
			return s.Dir, nil
		}
	}
	return "", errors.New("certstore: no hard-disk GPKI folder on this system")
}

// GPKIBaseName is the name a GPKI certificate file has before "_sig.cer".
func GPKIBaseName(certPath string) string {
	base := filepath.Base(certPath)
	if len(base) > len(gpkiCertExt) && strings.EqualFold(base[len(base)-len(gpkiCertExt):], gpkiCertExt) {
		return base[:len(base)-len(gpkiCertExt)]
	}
	return strings.TrimSuffix(base, filepath.Ext(base))
}

// WriteGPKI stores a GPKI pair as <dir>/<name>_sig.cer + <name>_sig.key.
// name is sanitised to one file name (never a path); an existing pair of
// the same certificate is replaced, another certificate's is an error.
// Returns the certificate file's path.
func WriteGPKI(dir, name string, x *x509.Certificate, encryptedKey []byte) (string, error) {
	name = sanitizeFileName(filepath.Base(filepath.Clean("/" + strings.ReplaceAll(name, `\`, "/"))))
	if name == "" || name == "." || name == ".." {
		name = "serial=" + x.SerialNumber.Text(16)
	}
	certPath := filepath.Join(dir, name+gpkiCertExt)
	if old, err := os.ReadFile(certPath); err == nil && !bytes.Equal(old, x.Raw) {
		return "", api.Errorf(api.CodeBadRequest, "%s already holds another certificate", certPath)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", ioError(dir, err)
	}
	if err := writeFileAtomic(certPath, x.Raw, 0o644); err != nil {
		return "", err
	}
	if err := writeFileAtomic(filepath.Join(dir, name+gpkiKeyExt), encryptedKey, 0o600); err != nil {
		return "", err
	}
	return certPath, nil
}
