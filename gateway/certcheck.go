package gateway

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/opensvpn/svpn/api"
)

// certChecker validates login certificates: chain, validity, key usage and
// policy. Revocation and account binding need the store and live in login.
type certChecker struct {
	roots           *x509.CertPool
	intermediates   *x509.CertPool
	allowedPolicies []string
}

func newCertChecker(anchors, intermediates, policies []string) (*certChecker, error) {
	c := &certChecker{roots: x509.NewCertPool(), intermediates: x509.NewCertPool(), allowedPolicies: policies}
	for _, f := range anchors {
		certs, err := readCertFile(f)
		if err != nil {
			return nil, err
		}
		for _, x := range certs {
			c.roots.AddCert(x)
		}
	}
	for _, f := range intermediates {
		certs, err := readCertFile(f)
		if err != nil {
			return nil, err
		}
		for _, x := range certs {
			c.intermediates.AddCert(x)
		}
	}
	return c, nil
}

// readCertFile reads PEM (one or many) or DER certificates.
func readCertFile(path string) ([]*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if !bytes.Contains(b, []byte("-----BEGIN")) {
		x, err := x509.ParseCertificate(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return []*x509.Certificate{x}, nil
	}
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		x, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, x)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no certificate", path)
	}
	return out, nil
}

// check validates x at now and returns its verified chain (leaf first). Each
// failure has its own code so the user is told what to do.
func (c *certChecker) check(x *x509.Certificate, now time.Time) ([]*x509.Certificate, error) {
	if now.Before(x.NotBefore) {
		return nil, api.Errorf(api.CodeCertificateNotYetValid, "the certificate is valid from %s", x.NotBefore.UTC().Format(time.RFC3339))
	}
	if now.After(x.NotAfter) {
		return nil, api.Errorf(api.CodeCertificateExpired, "the certificate expired on %s", x.NotAfter.UTC().Format(time.RFC3339))
	}
	chains, err := x.Verify(x509.VerifyOptions{
		Roots:         c.roots,
		Intermediates: c.intermediates,
		CurrentTime:   now,
		// Korean personal certificates carry no extended key usage.
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return nil, api.Errorf(api.CodeCertificateUntrusted, "the certificate does not chain to a trusted CA: %w", err)
	}
	// A CA certificate is refused as such, whatever its key usage says.
	if x.IsCA {
		return nil, api.Errorf(api.CodeCertificateIsCA, "a CA certificate cannot log in")
	}
	if x.KeyUsage != 0 && x.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0 {
		return nil, api.Errorf(api.CodeCertificateKeyUsage, "the certificate is not for signing (key usage %#x); pick the signing certificate", int(x.KeyUsage))
	}
	policies := make([]string, 0, len(x.Policies))
	for _, p := range x.Policies {
		policies = append(policies, p.String())
	}
	ok := slices.ContainsFunc(policies, func(p string) bool { return slices.Contains(c.allowedPolicies, p) })
	if !ok {
		return nil, api.Errorf(api.CodeCertificateWrongPurpose, "certificate policy %v is not accepted for login", policies)
	}
	return chains[0], nil
}
