//go:build cgo

package token

import (
	"context"
	"crypto/rand"
	"testing"

	"github.com/opensvpn/svpn/certstore"
)

// BenchmarkSignLogin signs a login message (RSA-2048, PKCS#1 v1.5 with
// SHA-256, what every login does) with the key in memory, as a decrypted
// key file gives it, and with the same kind of key on a SoftHSM token; and
// the whole token step of a login: PIN login, finding the key, signing,
// logging out.
func BenchmarkSignLogin(b *testing.B) {
	tt := newTestToken(b)
	msg := []byte("SVPN-LOGIN-V2\ngateway_id=svpn-demo\nuser_id=test09\nwg_public_key=AAAA\nchallenge=abc\ntls_exporter=xyz\n")
	file := &certstore.Identity{Certificate: &certstore.Certificate{X509: tt.user.Cert}, Key: &certstore.PrivateKey{Signer: tt.user.Key}}
	b.Run("file-key", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := file.Sign(rand.Reader, msg, ""); err != nil {
				b.Fatal(err)
			}
		}
	})
	ctx := context.Background()
	uri := "pkcs11:token=svpn-test;id=%01"
	b.Run("softhsm", func(b *testing.B) {
		id, err := tt.manager.Unlock(ctx, uri, []byte(testPIN))
		if err != nil {
			b.Fatal(err)
		}
		defer id.Close()
		b.ResetTimer()
		for b.Loop() {
			if _, _, err := id.Sign(rand.Reader, msg, ""); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("softhsm-unlock-sign", func(b *testing.B) {
		for b.Loop() {
			id, err := tt.manager.Unlock(ctx, uri, []byte(testPIN))
			if err != nil {
				b.Fatal(err)
			}
			if _, _, err := id.Sign(rand.Reader, msg, ""); err != nil {
				b.Fatal(err)
			}
			id.Close()
		}
	})
}
