//go:build cgo

package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/opensvpn/svpn/certstore/certgen"
	"github.com/opensvpn/svpn/internal/softhsm"
)

// tokenListed is the JSON contract of a token certificate in
// `certs list --json`.
type tokenListed struct {
	listedCert
	Token    string `json:"token"`
	Usable   bool   `json:"usable"`
	Unusable string `json:"unusable"`
}

func TestCertsListToken(t *testing.T) {
	if err := softhsm.Available(); err != nil {
		t.Skipf("SoftHSM tests skipped: %v", err)
	}
	t.Setenv("HOME", t.TempDir())
	tok, err := softhsm.New(t.TempDir(), "svpnctl-test", "123456")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOFTHSM2_CONF", tok.Conf)
	pki, err := certgen.NewPKI()
	if err != nil {
		t.Fatal(err)
	}
	u, err := pki.Yessign.IssueUser(certgen.UserOptions{Name: "김토큰"})
	if err != nil {
		t.Fatal(err)
	}
	if err := tok.Import(u.Cert, u.Key, []byte{1}, "signCert"); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCLI(t, "", "--socket", t.TempDir()+"/none.sock", "certs", "list", "--json", "--pkcs11-module", tok.Module)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got []tokenListed
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var found *tokenListed
	for i := range got {
		if got[i].Token == "svpnctl-test" {
			found = &got[i]
		}
	}
	if found == nil || found.Location != "token" || !strings.HasPrefix(found.Path, "pkcs11:") || !strings.Contains(found.Path, "id=%01") ||
		found.Name != "김토큰" || !found.Usable {
		t.Fatalf("token certificate: %+v\n%s", found, out)
	}
	// The table names the token too.
	code, out, _ = runCLI(t, "", "--socket", t.TempDir()+"/none.sock", "certs", "list", "--pkcs11-module", tok.Module)
	if code != 0 || !strings.Contains(out, "token svpnctl-test") || !strings.Contains(out, "pkcs11:") {
		t.Errorf("table: %d\n%s", code, out)
	}
	// A module that is not allowed is refused with its path and number.
	code, _, stderr = runCLI(t, "user\n123456\n", "--socket", t.TempDir()+"/none.sock", "login", "--user", "u", "--cert",
		"pkcs11:token=svpnctl-test;id=%01?module-path=/usr/lib/not-allowed.so", "--password-stdin")
	if code != exitFailure || !strings.Contains(stderr, "E-240") || !strings.Contains(stderr, "/usr/lib/not-allowed.so") {
		t.Errorf("not allowed: exit %d\n%s", code, stderr)
	}
	// A wrong PIN exits 3 with the catalogue's sentence.
	code, _, stderr = runCLI(t, "user\n000000\n", "--socket", t.TempDir()+"/none.sock", "login", "--user", "u", "--cert",
		"pkcs11:token=svpnctl-test;id=%01", "--pkcs11-module", tok.Module, "--password-stdin")
	if code != exitPassword || !strings.Contains(stderr, "E-245") || !strings.Contains(stderr, "few tries may be left") {
		t.Errorf("wrong PIN: exit %d\n%s", code, stderr)
	}
}
