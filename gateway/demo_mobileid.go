package gateway

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"time"

	"github.com/opensvpn/svpn/mobileid"
	"github.com/opensvpn/svpn/mobileid/wallet"
)

// Demo mobile ID: a test issuer the demo gateway trusts, and a wallet
// holding the demo user's employee ID under this PIN.
const (
	DemoWalletPIN   = "123456"
	demoIssuerDID   = "did:web:issuer.mobileid.example.go.kr"
	demoIssuerName  = "행정안전부 (테스트 발급기관)"
	demoWalletLabel = "모바일 공무원증 (데모)"
)

// prepareDemoMobileID creates, or reuses, the test issuer's key and the
// demo user's wallet in dir, and returns the gateway's mobile_id section
// and the wallet's path.
func prepareDemoMobileID(dir, caFile, displayName string) (*MobileIDConfig, string, error) {
	keyFile, pubFile := filepath.Join(dir, "mobileid-issuer.key"), filepath.Join(dir, "mobileid-issuer.pem")
	walletPath := filepath.Join(dir, "wallet.json")
	issuer, err := loadOrCreateIssuer(keyFile, pubFile)
	if err != nil {
		return nil, "", err
	}
	cfg := &MobileIDConfig{UserClaim: "employee_id",
		Issuers: []MobileIssuer{{DID: demoIssuerDID, Name: demoIssuerName, KeyFile: pubFile}}}
	if _, err := os.Stat(walletPath); err == nil {
		return cfg, walletPath, nil
	}
	holder, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, "", err
	}
	did, err := mobileid.HolderDID(&holder.PublicKey)
	if err != nil {
		return nil, "", err
	}
	now := time.Now()
	vc, err := mobileid.Issue(issuer, mobileid.IssueOptions{IssuerDID: demoIssuerDID, HolderDID: did,
		Subject:   map[string]string{"employee_id": DemoUserID, "name": displayName, "organization": "행정안전부"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0)})
	if err != nil {
		return nil, "", err
	}
	if err := wallet.Create(walletPath, DemoWalletPIN, holder, vc, caFile, demoWalletLabel); err != nil {
		return nil, "", err
	}
	return cfg, walletPath, nil
}

func loadOrCreateIssuer(keyFile, pubFile string) (*ecdsa.PrivateKey, error) {
	if b, err := os.ReadFile(keyFile); err == nil {
		if blk, _ := pem.Decode(b); blk != nil {
			if k, err := x509.ParseECPrivateKey(blk.Bytes); err == nil {
				return k, nil
			}
		}
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		return nil, err
	}
	pub, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o644); err != nil {
		return nil, err
	}
	return k, nil
}
