package certmove

import (
	"crypto/sha512"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/hkdf"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
)

// Bundle is a certificate's files as they are on disk: the certificate and
// its key file, which stays encrypted under the certificate password. The
// move never decrypts it and never asks for that password.
type Bundle struct {
	Kind certstore.Kind `json:"kind"` // npki or gpki
	Name string         `json:"name"` // GPKI: the file name before _sig.cer
	Cert []byte         `json:"cert"` // signCert.der / *_sig.cer
	Key  []byte         `json:"key"`  // signPri.key / *_sig.key, encrypted as on disk
}

// maxFile bounds each file read or received; real ones are about 1.5 KB.
const maxFile = 12 << 10

// ReadBundle reads the certificate at path (as certstore.Load takes it:
// signCert.der, its folder, or a GPKI *_sig.cer) and its key file.
func ReadBundle(path string) (*Bundle, *certstore.Certificate, error) {
	if ext := strings.ToLower(filepath.Ext(path)); ext == ".pfx" || ext == ".p12" {
		return nil, nil, api.Errorf(api.CodeCertMoveUnsupported, "%s is a PKCS#12 file", path)
	}
	c, err := certstore.Load(path)
	if err != nil {
		return nil, nil, err
	}
	if c.Kind != certstore.KindNPKI && c.Kind != certstore.KindGPKI {
		return nil, nil, api.Errorf(api.CodeCertMoveUnsupported, "%s is a %s file", path, c.Kind)
	}
	key, err := readSmall(c.KeyPath)
	if err != nil {
		return nil, nil, err
	}
	b := &Bundle{Kind: c.Kind, Cert: c.X509.Raw, Key: key}
	if c.Kind == certstore.KindGPKI {
		b.Name = certstore.GPKIBaseName(c.Path)
	}
	return b, c, nil
}

func readSmall(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, api.Errorf(api.CodeCertNotFound, "%s: the key file is missing", path)
		}
		return nil, api.Errorf(api.CodeCertNotFound, "%s: %w", path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err != nil {
		return nil, api.Errorf(api.CodeCertNotFound, "%s: %w", path, err)
	}
	if len(b) > maxFile {
		return nil, api.Errorf(api.CodeCertCorrupt, "%s: larger than %d bytes", path, maxFile)
	}
	return b, nil
}

// Destination is where a received certificate is written.
type Destination struct {
	NPKIDir string // the NPKI folder (…/NPKI)
	GPKIDir string // the GPKI class2 folder
}

// HardDisk is this PC's own NPKI and GPKI folders (하드디스크).
func HardDisk() (Destination, error) {
	n, err := certstore.HomeNPKIDir()
	if err != nil {
		return Destination{}, err
	}
	g, err := certstore.HomeGPKIDir()
	if err != nil {
		return Destination{}, err
	}
	return Destination{NPKIDir: n, GPKIDir: g}, nil
}

// Removable is the NPKI and GPKI folders of a drive mounted at root
// (이동식디스크), where the picker scans them.
func Removable(root string) Destination {
	d := Destination{}
	for _, s := range certstore.SourcesForDrive(root, certstore.LocationRemovable) {
		switch s.Layout {
		case certstore.LayoutNPKI:
			d.NPKIDir = s.Dir
		case certstore.LayoutGPKI:
			d.GPKIDir = s.Dir
		}
	}
	return d
}

// Install writes b to dest and returns the certificate file's path.
func (b *Bundle) Install(dest Destination) (string, error) {
	x, err := certstore.ParseCertificate(b.Cert)
	if err != nil {
		return "", api.Errorf(api.CodeCertMoveProtocol, "the received certificate does not parse: %w", err)
	}
	switch b.Kind {
	case certstore.KindNPKI:
		dir, err := certstore.WriteNPKI(dest.NPKIDir, x, b.Key)
		if err != nil {
			return "", api.Errorf(api.CodeCertMoveSave, "%w", err)
		}
		return filepath.Join(dir, "signCert.der"), nil
	case certstore.KindGPKI:
		p, err := certstore.WriteGPKI(dest.GPKIDir, b.Name, x, b.Key)
		if err != nil {
			return "", api.Errorf(api.CodeCertMoveSave, "%w", err)
		}
		return p, nil
	}
	return "", api.Errorf(api.CodeCertMoveProtocol, "received a certificate of kind %q", b.Kind)
}

// Delete removes the sender's copy after a move (--delete-after, 이 PC에서
// 인증서 삭제): the certificate and key files, and the NPKI folder if it is
// then empty.
func Delete(c *certstore.Certificate) error {
	for _, p := range []string{c.KeyPath, c.Path} {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("certmove: deleting %s: %w", p, err)
		}
	}
	if c.Kind == certstore.KindNPKI {
		os.Remove(filepath.Dir(c.Path)) // only if empty; other files stay
	}
	return nil
}

// payloadInfo labels the AEAD key; the version is in it so a key of one
// protocol version never opens another's ciphertext.
func payloadInfo() []byte { return fmt.Appendf(nil, "svpn certmove v%d payload", api.CertMoveVersion) }

// payloadKey derives the AEAD key from CPace's ISK with HKDF-SHA-512,
// salted with the slot ID (CPace's sid).
func payloadKey(isk, sid []byte) ([]byte, error) {
	key := make([]byte, chacha20poly1305.KeySize)
	if _, err := io.ReadFull(hkdf.New(sha512.New, isk, sid, payloadInfo()), key); err != nil {
		return nil, err
	}
	return key, nil
}

// seal encrypts b under the session key. The key is used for this one
// message, so a fixed nonce is safe; ad binds it to the slot and user.
func (b *Bundle) seal(isk, sid, ad []byte) ([]byte, error) {
	key, err := payloadKey(isk, sid)
	if err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.New(key)
	if err != nil {
		return nil, err
	}
	plain, err := json.Marshal(b)
	if err != nil {
		return nil, err
	}
	return aead.Seal(nil, make([]byte, aead.NonceSize()), plain, ad), nil
}

// openBundle decrypts and checks a payload.
func openBundle(isk, sid, ad, sealed []byte) (*Bundle, error) {
	key, err := payloadKey(isk, sid)
	if err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.New(key)
	if err != nil {
		return nil, err
	}
	plain, err := aead.Open(nil, make([]byte, aead.NonceSize()), sealed, ad)
	if err != nil {
		return nil, api.Errorf(api.CodeCertMoveProtocol, "the certificate files do not decrypt: they were changed on the way")
	}
	var b Bundle
	if err := json.Unmarshal(plain, &b); err != nil {
		return nil, api.Errorf(api.CodeCertMoveProtocol, "the certificate files are malformed: %w", err)
	}
	if len(b.Cert) == 0 || len(b.Key) == 0 || len(b.Cert) > maxFile || len(b.Key) > maxFile {
		return nil, api.Errorf(api.CodeCertMoveProtocol, "the certificate files are empty or too large")
	}
	return &b, nil
}
