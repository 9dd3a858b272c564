// Package wallet is the file of the simulated mobile ID app: the holder's
// key sealed under a 6-digit PIN, the employee ID credential, and the
// app's lock after 5 wrong PINs. `svpn-gateway demo` writes one and
// cmd/svpn-wallet uses it.
//
// The real app keeps the key in the phone's secure hardware, which counts
// wrong PINs where the holder cannot reset the count. A file cannot: a
// person who can write it can copy it before guessing. The count here is
// the app's behaviour as the holder sees it, not protection against that.
package wallet

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/mobileid"
	"golang.org/x/crypto/argon2"
)

// MaxPINFailures wrong PINs in a row lock the wallet, as the app does.
const MaxPINFailures = 5

// PINLen is the app's PIN length.
const PINLen = 6

// File is the wallet file (JSON, 0600).
type File struct {
	Version      int    `json:"version"`
	HolderDID    string `json:"holder_did"`
	Credential   string `json:"credential"`    // the employee ID (VC-JWT)
	SealedKey    []byte `json:"sealed_key"`    // AES-256-GCM of the PKCS#8 holder key, nonce first
	Salt         []byte `json:"salt"`          // argon2id salt of the PIN
	Failures     int    `json:"failures"`      // wrong PINs in a row
	Locked       bool   `json:"locked"`        // after MaxPINFailures
	CAFile       string `json:"ca_file"`       // roots the phone trusts for the verifier's TLS
	DisplayLabel string `json:"display_label"` // shown by the simulator
}

// Wallet is an opened wallet file.
type Wallet struct {
	path string
	File
}

// CheckPIN accepts exactly 6 digits.
func CheckPIN(pin string) error {
	if len(pin) != PINLen {
		return fmt.Errorf("wallet: the PIN has %d digits", PINLen)
	}
	for _, c := range pin {
		if c < '0' || c > '9' {
			return fmt.Errorf("wallet: the PIN has %d digits", PINLen)
		}
	}
	return nil
}

func pinKey(pin string, salt []byte) []byte {
	return argon2.IDKey([]byte(pin), salt, 2, 19*1024, 1, 32)
}

func gcm(key []byte) cipher.AEAD {
	b, _ := aes.NewCipher(key) // 32 bytes: never fails
	a, _ := cipher.NewGCM(b)
	return a
}

// Create writes a new wallet holding holder's key under pin.
func Create(path, pin string, holder *ecdsa.PrivateKey, credential, caFile, label string) error {
	if err := CheckPIN(pin); err != nil {
		return err
	}
	did, err := mobileid.HolderDID(&holder.PublicKey)
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKCS8PrivateKey(holder)
	if err != nil {
		return err
	}
	salt := make([]byte, 16)
	rand.Read(salt)
	a := gcm(pinKey(pin, salt))
	nonce := make([]byte, a.NonceSize())
	rand.Read(nonce)
	w := &Wallet{path: path, File: File{Version: 1, HolderDID: did, Credential: credential,
		SealedKey: a.Seal(nonce, nonce, der, []byte(did)), Salt: salt, CAFile: caFile, DisplayLabel: label}}
	return w.save()
}

// Open reads a wallet file.
func Open(path string) (*Wallet, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	w := &Wallet{path: path}
	if err := json.Unmarshal(b, &w.File); err != nil || w.Version != 1 {
		return nil, fmt.Errorf("wallet: %s is not a wallet file", path)
	}
	return w, nil
}

// save writes the file atomically.
func (w *Wallet) save() error {
	b, err := json.MarshalIndent(w.File, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(w.path), ".wallet-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), w.path)
}

// Unlock opens the holder key with pin. A wrong PIN is counted in the
// file before the answer; the fifth in a row locks the wallet for good.
func (w *Wallet) Unlock(pin string) (*ecdsa.PrivateKey, error) {
	if w.Locked {
		return nil, api.Errorf(api.CodeWalletLocked, "the wallet is locked after %d wrong PINs", MaxPINFailures)
	}
	var der []byte
	err := CheckPIN(pin)
	if err == nil {
		a := gcm(pinKey(pin, w.Salt))
		if len(w.SealedKey) < a.NonceSize() {
			return nil, errors.New("wallet: the sealed key is damaged")
		}
		der, err = a.Open(nil, w.SealedKey[:a.NonceSize()], w.SealedKey[a.NonceSize():], []byte(w.HolderDID))
	}
	if err != nil {
		w.Failures++
		if w.Failures >= MaxPINFailures {
			w.Locked = true
		}
		if serr := w.save(); serr != nil {
			return nil, serr
		}
		if w.Locked {
			return nil, api.Errorf(api.CodeWalletLocked, "%d wrong PINs: the wallet is now locked", MaxPINFailures)
		}
		return nil, &api.Error{Code: api.CodeWalletPIN, Message: fmt.Sprintf("wrong PIN (%d of %d)", w.Failures, MaxPINFailures)}
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	key, ok := k.(*ecdsa.PrivateKey)
	if err != nil || !ok {
		return nil, errors.New("wallet: the sealed key is not an EC key")
	}
	if w.Failures != 0 {
		w.Failures = 0
		if err := w.save(); err != nil {
			return nil, err
		}
	}
	return key, nil
}
