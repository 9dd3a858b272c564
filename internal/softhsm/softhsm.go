// Package softhsm sets up SoftHSM2 tokens holding a certificate and its
// non-extractable key, for tests and for `svpn-gateway demo`. It drives
// Debian's softhsm2-util and OpenSC's pkcs11-tool (no cgo here: the
// gateway links it), each token in a folder of its own with its own
// SOFTHSM2_CONF, so nothing touches the system's tokens.
package softhsm

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// ModulePaths are where Debian and others install the SoftHSM2 module.
var ModulePaths = []string{
	"/usr/lib/softhsm/libsofthsm2.so",
	"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib64/pkcs11/libsofthsm2.so",
	"/usr/local/lib/softhsm/libsofthsm2.so",
}

// ErrUnavailable: SoftHSM2 or pkcs11-tool is not installed (Debian
// packages softhsm2 and opensc; `make deps` installs them).
var ErrUnavailable = errors.New("SoftHSM2 is not installed (Debian packages softhsm2 and opensc; make deps installs them)")

// Module returns the SoftHSM2 module's path, or ErrUnavailable.
func Module() (string, error) {
	for _, p := range ModulePaths {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", ErrUnavailable
}

// Available reports whether tokens can be set up here.
func Available() error {
	if _, err := Module(); err != nil {
		return err
	}
	for _, tool := range []string{"softhsm2-util", "pkcs11-tool"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s: %w", tool, ErrUnavailable)
		}
	}
	return nil
}

// Token is an initialised SoftHSM2 token in a folder of its own.
type Token struct {
	Dir    string // holds softhsm2.conf and tokens/
	Conf   string // the SOFTHSM2_CONF to use it with
	Module string
	Label  string
	PIN    string
	SOPIN  string
}

// Env is the environment entry that points SoftHSM2 at this token's
// folder.
func (t *Token) Env() string { return "SOFTHSM2_CONF=" + t.Conf }

// New initialises a token labelled label with user PIN pin in dir (created
// if missing). An existing initialised token there is reused.
func New(dir, label, pin string) (*Token, error) {
	mod, err := Module()
	if err != nil {
		return nil, err
	}
	if err := Available(); err != nil {
		return nil, err
	}
	t := &Token{Dir: dir, Conf: filepath.Join(dir, "softhsm2.conf"), Module: mod, Label: label, PIN: pin, SOPIN: pin + "-so"}
	tokens := filepath.Join(dir, "tokens")
	if err := os.MkdirAll(tokens, 0o700); err != nil {
		return nil, err
	}
	conf := fmt.Sprintf("# SoftHSM2 token of SVPN (tests or demo)\ndirectories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = true\n", tokens)
	if err := os.WriteFile(t.Conf, []byte(conf), 0o600); err != nil {
		return nil, err
	}
	if entries, _ := os.ReadDir(tokens); len(entries) > 0 {
		return t, nil
	}
	if _, err := t.run("softhsm2-util", "--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", t.SOPIN); err != nil {
		return nil, err
	}
	return t, nil
}

// AddToken initialises another token, labelled label with the same PINs,
// in this token's folder (a second token plugged in), and returns it and
// the folder SoftHSM keeps it in: removing that folder pulls it out.
func (t *Token) AddToken(label string) (*Token, string, error) {
	tokens := filepath.Join(t.Dir, "tokens")
	before := map[string]bool{}
	entries, _ := os.ReadDir(tokens)
	for _, e := range entries {
		before[e.Name()] = true
	}
	if _, err := t.run("softhsm2-util", "--init-token", "--free", "--label", label, "--pin", t.PIN, "--so-pin", t.SOPIN); err != nil {
		return nil, "", err
	}
	entries, _ = os.ReadDir(tokens)
	for _, e := range entries {
		if !before[e.Name()] {
			nt := *t
			nt.Label = label
			return &nt, filepath.Join(tokens, e.Name()), nil
		}
	}
	return nil, "", errors.New("softhsm: the new token's folder was not found")
}

// Import puts a certificate and its key on the token under id and label:
// the private key sensitive, private and not extractable (it can sign,
// never be read back), the public key and the certificate readable.
func (t *Token) Import(cert *x509.Certificate, key crypto.Signer, id []byte, label string) error {
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(t.Dir, "import")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	hexID := fmt.Sprintf("%x", id)
	for _, o := range []struct {
		typ  string
		der  []byte
		more []string
	}{
		{"privkey", keyDER, []string{"--usage-sign", "--sensitive", "--private"}},
		{"pubkey", pubDER, nil},
		{"cert", cert.Raw, nil},
	} {
		if o.der == nil {
			continue
		}
		f := filepath.Join(tmp, o.typ+".der")
		if err := os.WriteFile(f, o.der, 0o600); err != nil {
			return err
		}
		args := append([]string{"--module", t.Module, "--token-label", t.Label, "--login", "--pin", t.PIN,
			"--write-object", f, "--type", o.typ, "--id", hexID, "--label", label}, o.more...)
		_, err := t.run("pkcs11-tool", args...)
		os.Remove(f) // the key file lived 0600 in the token's own folder, briefly
		if err != nil {
			return err
		}
	}
	return nil
}

// ImportCertificate puts only a certificate on the token (tests of a
// certificate whose key is missing).
func (t *Token) ImportCertificate(cert *x509.Certificate, id []byte, label string) error {
	f := filepath.Join(t.Dir, fmt.Sprintf("cert-%x.der", id))
	if err := os.WriteFile(f, cert.Raw, 0o600); err != nil {
		return err
	}
	defer os.Remove(f)
	_, err := t.run("pkcs11-tool", "--module", t.Module, "--token-label", t.Label, "--login", "--pin", t.PIN,
		"--write-object", f, "--type", "cert", "--id", fmt.Sprintf("%x", id), "--label", label)
	return err
}

// run runs a SoftHSM tool against this token's folder, bounded in time.
func (t *Token) run(name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), t.Env())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: %w: %s", name, err, bytes.TrimSpace(out.Bytes()))
	}
	return out.Bytes(), nil
}
