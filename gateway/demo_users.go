package gateway

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/certstore/certgen"
	"github.com/opensvpn/svpn/gateway/password"
	"github.com/opensvpn/svpn/gateway/store"
	"github.com/opensvpn/svpn/internal/softhsm"
)

// DemoUser is one demo account with its certificate: demo.json's "users"
// lists one per kind of certificate a user may log in with.
type DemoUser struct {
	UserID          string `json:"user_id"`
	InitialPassword string `json:"initial_password"`
	Kind            string `json:"kind"`     // npki, gpki, pkcs12, token
	Location        string `json:"location"` // disk, removable, file, token: the picker's tab
	// CertPath is the certificate file (signCert.der, *_sig.cer, .pfx) or,
	// for a token, its pkcs11: URI.
	CertPath string `json:"cert_path"`
	// CertPassword is the certificate password or, for a token, the PIN.
	CertPassword string `json:"cert_password"`
	// For a token: the PKCS#11 module and the SOFTHSM2_CONF its token is in.
	PKCS11Module string `json:"pkcs11_module,omitempty"`
	SoftHSM2Conf string `json:"softhsm2_conf,omitempty"`
	Name         string `json:"name"` // the holder's name in the certificate

	certFile string // the certificate's DER, for binding the account
}

// The demo's other accounts, one per kind of certificate (test05 is the
// NPKI certificate on the USB drive).
const (
	DemoTokenLabel = "svpn-demo"
	DemoTokenPIN   = "demo-pin1"
	demoTokenURI   = "pkcs11:token=" + DemoTokenLabel + ";id=%01"
)

// demoDiskHome is the simulated home folder holding the hard-disk NPKI and
// GPKI certificates (`svpn --disk <dir>/home` shows them under 하드디스크).
func demoDiskHome(dir string) string { return filepath.Join(dir, "home") }

// prepareDemoUsers issues, or finds from an earlier run, a certificate for
// each kind: NPKI on the hard disk and on the USB drive (test05, d), GPKI
// issued by the demo's GPKI CA under GPKI/Certificate/class2 with the GPKI
// personal policy, a PKCS#12 file, and a SoftHSM token when SoftHSM2 is
// installed. What could not be set up is said in notes.
func prepareDemoUsers(dir string, pki *certgen.PKI, d *Demo) (users []DemoUser, notes []string, err error) {
	users = append(users, DemoUser{UserID: d.UserID, InitialPassword: d.InitialPassword, Kind: "npki", Location: "removable",
		CertPath: d.CertPath, CertPassword: d.CertPassword, Name: "홍길동", certFile: d.CertPath})
	home := demoDiskHome(dir)

	// NPKI on the hard disk.
	npkiDisk := filepath.Join(home, "NPKI")
	path := firstGlob(filepath.Join(npkiDisk, "*", "USER", "*", "signCert.der"))
	if path == "" {
		u, err := pki.Yessign.IssueUser(certgen.UserOptions{Name: "이하드", PolicyOID: certgen.PolicyYessignGeneral})
		if err != nil {
			return nil, nil, err
		}
		certDir, err := u.WriteNPKI(npkiDisk, DemoCertPassword, certstore.SchemePBES2SEED)
		if err != nil {
			return nil, nil, err
		}
		path = filepath.Join(certDir, "signCert.der")
	}
	users = append(users, DemoUser{UserID: "test06", InitialPassword: DemoPassword, Kind: "npki", Location: "disk",
		CertPath: path, CertPassword: DemoCertPassword, Name: "이하드", certFile: path})

	// GPKI, issued by the demo's GPKI CA.
	class2 := filepath.Join(home, "GPKI", "Certificate", "class2")
	path = firstGlob(filepath.Join(class2, "*_sig.cer"))
	if path == "" {
		u, err := pki.GPKI.IssueUser(certgen.UserOptions{Name: "박행정", CommonName: "박행정001", PolicyOID: certgen.PolicyGPKIPersonal,
			OU: []string{"행정안전부", "people"}})
		if err != nil {
			return nil, nil, err
		}
		if path, err = u.WriteGPKI(class2, "박행정001", DemoCertPassword, certstore.SchemePBES2SEED); err != nil {
			return nil, nil, err
		}
	}
	users = append(users, DemoUser{UserID: "test07", InitialPassword: DemoPassword, Kind: "gpki", Location: "disk",
		CertPath: path, CertPassword: DemoCertPassword, Name: "박행정", certFile: path})

	// A PKCS#12 file, opened with 찾아보기.
	path = filepath.Join(dir, "files", "test08.pfx")
	if _, err := os.Stat(path); err != nil {
		u, err := pki.Yessign.IssueUser(certgen.UserOptions{Name: "최파일", PolicyOID: certgen.PolicyYessignGeneral})
		if err != nil {
			return nil, nil, err
		}
		p12, err := u.PKCS12(DemoCertPassword)
		if err != nil {
			return nil, nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, nil, err
		}
		if err := os.WriteFile(path, p12, 0o600); err != nil {
			return nil, nil, err
		}
	}
	users = append(users, DemoUser{UserID: "test08", InitialPassword: DemoPassword, Kind: "pkcs12", Location: "file",
		CertPath: path, CertPassword: DemoCertPassword, Name: "최파일", certFile: path})

	// A security token: SoftHSM2 in the demo's folder.
	tu, err := prepareDemoToken(filepath.Join(dir, "softhsm"), pki)
	switch {
	case errors.Is(err, softhsm.ErrUnavailable):
		notes = append(notes, "보안토큰 사용자(test09)는 만들지 않았습니다: "+err.Error())
	case err != nil:
		notes = append(notes, "보안토큰 사용자(test09)는 만들지 않았습니다: SoftHSM2: "+err.Error())
	default:
		users = append(users, *tu)
	}
	return users, notes, nil
}

// prepareDemoToken sets up a SoftHSM2 token in dir with a certificate and
// its non-extractable key (CKA_ID 01), or reuses the one there.
func prepareDemoToken(dir string, pki *certgen.PKI) (*DemoUser, error) {
	if err := softhsm.Available(); err != nil {
		return nil, err
	}
	certFile := filepath.Join(dir, "test09.der")
	_, statErr := os.Stat(certFile)
	if statErr != nil {
		// A half-made token from an interrupted run is made again.
		os.RemoveAll(dir)
	}
	tok, err := softhsm.New(dir, DemoTokenLabel, DemoTokenPIN)
	if err != nil {
		return nil, err
	}
	if statErr != nil {
		u, err := pki.Yessign.IssueUser(certgen.UserOptions{Name: "정토큰", PolicyOID: certgen.PolicyYessignGeneral})
		if err != nil {
			return nil, err
		}
		if err := tok.Import(u.Cert, u.Key, []byte{1}, "signCert"); err != nil {
			return nil, err
		}
		if err := os.WriteFile(certFile, u.Cert.Raw, 0o644); err != nil {
			return nil, err
		}
	}
	return &DemoUser{UserID: "test09", InitialPassword: DemoPassword, Kind: "token", Location: "token",
		CertPath: demoTokenURI, CertPassword: DemoTokenPIN, PKCS11Module: tok.Module, SoftHSM2Conf: tok.Conf,
		Name: "정토큰", certFile: certFile}, nil
}

func firstGlob(pattern string) string {
	m, _ := filepath.Glob(pattern)
	if len(m) == 0 {
		return ""
	}
	return m[0]
}

// ensureDemoUsers creates the accounts of d.Users that do not exist yet,
// each bound to its certificate, with the initial password to change at
// the first login.
func ensureDemoUsers(ctx context.Context, st *store.Store, d *Demo, p password.Params) error {
	for _, u := range d.Users {
		if _, err := st.GetUser(ctx, u.UserID); err == nil {
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		file := u.certFile
		if file == "" {
			file = u.CertPath
		}
		var c *certstore.Certificate
		var err error
		if u.Kind == "pkcs12" {
			var id *certstore.Identity
			id, err = certstore.LoadPKCS12(file, []byte(u.CertPassword))
			if id != nil {
				c = id.Certificate
			}
		} else {
			c, err = certstore.Load(file)
		}
		if err != nil {
			return fmt.Errorf("demo user %s: %w", u.UserID, err)
		}
		hash, err := password.Hash(u.InitialPassword, p)
		if err != nil {
			return err
		}
		if err := st.AddUser(ctx, store.User{ID: u.UserID, DisplayName: certstore.DisplayName(c.X509), Group: "default",
			PasswordHash: hash, MustChangePassword: true, Cert: CertBindingOf(c.X509)}); err != nil {
			return err
		}
	}
	return nil
}
