package certgen

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"path/filepath"
	"time"

	"github.com/opensvpn/svpn/certstore"
)

// PKI is a test hierarchy shaped like Korea's: a KISA-like root, a
// yessign-like accredited CA and a GPKI CA under it.
type PKI struct {
	Root    *CA
	Yessign *CA
	GPKI    *CA
}

// NewPKI creates a fresh hierarchy (three RSA-2048 keys).
func NewPKI() (*PKI, error) {
	root, err := NewRootCA([]RDN{{"C", "KR"}, {"O", "KISA"}, {"OU", "Korea Certification Authority Central"}, {"CN", "SVPN Test RootCA"}}, 20*365*24*time.Hour)
	if err != nil {
		return nil, err
	}
	ys, err := root.NewIntermediate([]RDN{{"C", "kr"}, {"O", "yessign"}, {"OU", "AccreditedCA"}, {"CN", "yessignCA-Test Class 2"}}, 10*365*24*time.Hour)
	if err != nil {
		return nil, err
	}
	gpki, err := NewGPKICA(root)
	if err != nil {
		return nil, err
	}
	return &PKI{Root: root, Yessign: ys, GPKI: gpki}, nil
}

// NewGPKICA issues a GPKI-like CA (행정전자서명 인증기관) under root.
func NewGPKICA(root *CA) (*CA, error) {
	return root.NewIntermediate([]RDN{{"C", "KR"}, {"O", "Government of Korea"}, {"OU", "GPKI"}, {"CN", "CA134100031"}}, 10*365*24*time.Hour)
}

// TreeOptions describe a bulk tree of certificates, for benchmarks and load
// tests of the scanner.
type TreeOptions struct {
	DiskNPKI  string // hard-disk NPKI folder
	DriveRoot string // removable drive root (<root>/NPKI, <root>/GPKI/...)
	Disk      int    // certificates on the disk
	Removable int    // certificates on the drive (every tenth in the GPKI layout)
	Password  string
}

// BuildTree writes opts.Disk + opts.Removable certificates. They share one
// RSA key so a tree of hundreds builds in about a second; the scanner reads
// certificates, not keys.
func (p *PKI) BuildTree(o TreeOptions) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	issue := func(ca *CA, i int, policy string) (*User, error) {
		return ca.IssueUser(UserOptions{
			Name:      fmt.Sprintf("사용자%03d", i),
			PolicyOID: policy,
			Key:       crypto.Signer(key),
			NotAfter:  time.Now().AddDate(0, 0, i%400-30), // some expired
		})
	}
	for i := 0; i < o.Disk; i++ {
		u, err := issue(p.Yessign, i, PolicyYessignGeneral)
		if err != nil {
			return err
		}
		if _, err := u.WriteNPKI(o.DiskNPKI, o.Password, certstore.SchemeSEEDLegacy); err != nil {
			return err
		}
	}
	for i := 0; i < o.Removable; i++ {
		if i%10 == 9 {
			u, err := issue(p.GPKI, i, PolicyGPKIPersonal)
			if err != nil {
				return err
			}
			class2 := filepath.Join(o.DriveRoot, "GPKI", "Certificate", "class2")
			if _, err := u.WriteGPKI(class2, fmt.Sprintf("사용자%03d", i), o.Password, certstore.SchemePBES2SEED); err != nil {
				return err
			}
			continue
		}
		u, err := issue(p.Yessign, i, PolicyYessignBank)
		if err != nil {
			return err
		}
		if _, err := u.WriteNPKI(filepath.Join(o.DriveRoot, "NPKI"), o.Password, certstore.SchemePBES2SEED); err != nil {
			return err
		}
	}
	return nil
}
