package wallet

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	"github.com/opensvpn/svpn/api"
)

func newWallet(t *testing.T) (string, *ecdsa.PrivateKey) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "wallet.json")
	if err := Create(path, "123456", k, "vc", "", "test"); err != nil {
		t.Fatal(err)
	}
	return path, k
}

// TestFiveWrongPINsLock: each wrong PIN is counted in the file (a new
// process sees it), a good PIN resets the count, and the fifth wrong one
// in a row locks the wallet for good, the right PIN included.
func TestFiveWrongPINsLock(t *testing.T) {
	path, k := newWallet(t)
	open := func() *Wallet {
		w, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	for i := 1; i <= 4; i++ {
		if _, err := open().Unlock("654321"); api.CodeOf(err) != api.CodeWalletPIN {
			t.Fatalf("wrong PIN %d: %v", i, err)
		}
		if w := open(); w.Failures != i || w.Locked {
			t.Fatalf("after %d wrong PINs: failures %d, locked %t", i, w.Failures, w.Locked)
		}
	}
	got, err := open().Unlock("123456")
	if err != nil || !got.Equal(k) {
		t.Fatalf("right PIN: %v", err)
	}
	if open().Failures != 0 {
		t.Fatal("a good PIN does not reset the count")
	}
	for i := 1; i <= 4; i++ {
		open().Unlock("12345") // malformed PINs count too
	}
	if _, err := open().Unlock("000000"); api.CodeOf(err) != api.CodeWalletLocked {
		t.Fatalf("fifth wrong PIN: %v", err)
	}
	if _, err := open().Unlock("123456"); api.CodeOf(err) != api.CodeWalletLocked {
		t.Fatalf("right PIN on a locked wallet: %v", err)
	}
}

func TestFileIsPrivateAndKeySealed(t *testing.T) {
	path, k := newWallet(t)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("wallet file mode %v %v", fi.Mode(), err)
	}
	b, _ := os.ReadFile(path)
	if d, _ := k.Bytes(); len(d) > 8 && (containsBytes(b, d) || containsBytes(b, []byte(base64.StdEncoding.EncodeToString(d)))) {
		t.Fatal("the private key is in the file in the clear")
	}
	if err := Create(path, "12345a", k, "vc", "", ""); err == nil {
		t.Fatal("a PIN that is not 6 digits was accepted")
	}
}

func containsBytes(b, sub []byte) bool {
	for i := 0; i+len(sub) <= len(b); i++ {
		if string(b[i:i+len(sub)]) == string(sub) {
			return true
		}
	}
	return false
}
