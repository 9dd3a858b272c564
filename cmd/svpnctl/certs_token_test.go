//go:build cgo

package main

import (
	"encoding/json"
	"os"
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
	// Every field the README names for a token certificate, by its JSON
	// name and type.
	var raw []map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	for _, o := range raw {
		if o["token"] == "svpnctl-test" {
			obj = o
		}
	}
	want := map[string]any{"kind": "pkcs11", "location": "token", "token": "svpnctl-test",
		"pin_state": "ok", "usable": true, "token_manufacturer": "SoftHSM project"}
	for k, v := range want {
		if obj[k] != v {
			t.Errorf("%s: %#v, want %#v", k, obj[k], v)
		}
	}
	// The module: --pkcs11-module's or the same file through the system's
	// p11-kit registry (Debian's is a symlink to the multiarch path).
	if mod, _ := obj["pkcs11_module"].(string); !sameFile(mod, tok.Module) {
		t.Errorf("pkcs11_module: %#v, want %s", obj["pkcs11_module"], tok.Module)
	}
	if serial, _ := obj["token_serial"].(string); serial == "" {
		t.Errorf("token_serial: %#v", obj["token_serial"])
	}
	if p, _ := obj["path"].(string); !strings.HasPrefix(p, "pkcs11:") || !strings.Contains(p, "token=svpnctl-test") {
		t.Errorf("path: %#v", obj["path"])
	}
	if _, ok := obj["unusable"]; ok {
		t.Errorf("a usable certificate has unusable: %#v", obj["unusable"])
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

func sameFile(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}
