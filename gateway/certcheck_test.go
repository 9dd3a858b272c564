package gateway

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"path/filepath"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore/certgen"
)

// testChecker is a certChecker trusting the shared test root (yessign and
// GPKI as intermediates) that accepts only the general-purpose yessign
// policy.
func testChecker(t *testing.T, p *certgen.PKI) *certChecker {
	t.Helper()
	dir := t.TempDir()
	writePEM(t, filepath.Join(dir, "root.pem"), p.Root.Cert)
	writePEM(t, filepath.Join(dir, "ca.pem"), p.Yessign.Cert, p.GPKI.Cert)
	c, err := newCertChecker([]string{filepath.Join(dir, "root.pem")}, []string{filepath.Join(dir, "ca.pem")},
		[]string{certgen.PolicyYessignGeneral})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// issueRaw signs a certificate for tmpl under ca with the test root's key as
// the subject key, for shapes certgen does not make (odd key usages, CA
// flags on a user-shaped certificate).
func issueRaw(t *testing.T, ca *certgen.CA, tmpl *x509.Certificate) *x509.Certificate {
	t.Helper()
	p := sharedPKI(t)
	if tmpl.SerialNumber == nil {
		n, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
		tmpl.SerialNumber = n.Add(n, big.NewInt(1))
	}
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore = time.Now().Add(-time.Hour)
		tmpl.NotAfter = time.Now().Add(365 * 24 * time.Hour)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, p.Root.Key.Public(), ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	x, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func mustOID(t *testing.T, s string) x509.OID {
	t.Helper()
	o, err := x509.ParseOID(s)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestCertificatePurposeCodes: key usage, CA flag and policy each refuse
// with a code of their own, at the checker, so removing any one of the
// three checks fails this test.
func TestCertificatePurposeCodes(t *testing.T) {
	p := sharedPKI(t)
	c := testChecker(t, p)
	general := mustOID(t, certgen.PolicyYessignGeneral)

	good, err := p.Yessign.IssueUser(certgen.UserOptions{Name: "정상", Key: p.Root.Key})
	if err != nil {
		t.Fatal(err)
	}
	bank, err := p.Yessign.IssueUser(certgen.UserOptions{Name: "은행", Key: p.Root.Key, PolicyOID: certgen.PolicyYessignBank})
	if err != nil {
		t.Fatal(err)
	}
	encipherOnly := issueRaw(t, p.Yessign, &x509.Certificate{
		Subject:  pkix.Name{Country: []string{"kr"}, Organization: []string{"yessign"}, CommonName: "암호화()0001"},
		KeyUsage: x509.KeyUsageKeyEncipherment, Policies: []x509.OID{general},
	})
	// A CA certificate that would pass every other check: a signing key
	// usage, an accepted policy, issued under the trusted yessign CA.
	subCA := issueRaw(t, p.Yessign, &x509.Certificate{
		Subject:               pkix.Name{Country: []string{"kr"}, Organization: []string{"yessign"}, CommonName: "rogue CA"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		BasicConstraintsValid: true, IsCA: true, Policies: []x509.OID{general},
	})
	// The same shapes without the fault are accepted, so each refusal below
	// is caused by the one property that differs.
	signing := issueRaw(t, p.Yessign, &x509.Certificate{
		Subject:  pkix.Name{Country: []string{"kr"}, Organization: []string{"yessign"}, CommonName: "서명()0002"},
		KeyUsage: x509.KeyUsageDigitalSignature, Policies: []x509.OID{general},
	})
	nonRepudiation := issueRaw(t, p.Yessign, &x509.Certificate{
		Subject:  pkix.Name{Country: []string{"kr"}, Organization: []string{"yessign"}, CommonName: "부인방지()0003"},
		KeyUsage: x509.KeyUsageContentCommitment, Policies: []x509.OID{general},
	})

	now := time.Now()
	for _, tc := range []struct {
		name string
		cert *x509.Certificate
		want api.Code
	}{
		{"general-purpose user", good.Cert, ""},
		{"digitalSignature only", signing, ""},
		{"nonRepudiation only", nonRepudiation, ""},
		{"keyEncipherment only", encipherOnly, api.CodeCertificateKeyUsage},
		{"CA certificate", subCA, api.CodeCertificateIsCA},
		{"bank-only policy", bank.Cert, api.CodeCertificateWrongPurpose},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chain, err := c.check(tc.cert, now)
			if got := api.CodeOf(err); got != tc.want {
				t.Fatalf("check: %v (code %q), want code %q", err, got, tc.want)
			}
			if tc.want == "" && (len(chain) < 2 || !chain[0].Equal(tc.cert) || !chain[1].Equal(p.Yessign.Cert)) {
				t.Fatalf("chain %v does not start with the certificate and its CA", chain)
			}
		})
	}
}
