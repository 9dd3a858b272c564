package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/gateway"
)

func runGW(t *testing.T, stdin string, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	c := &cli{stdin: strings.NewReader(stdin), stdout: &out, stderr: &out}
	code := c.run(context.Background(), args)
	return code, out.String()
}

// TestAdminCommands drives the administrator's CLI against a store, the way
// an IT department uses it.
func TestAdminCommands(t *testing.T) {
	dir := t.TempDir()
	_, d, err := gateway.PrepareDemo(dir, "127.0.0.1:0", 0)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config.json")
	steps := []struct {
		stdin string
		args  []string
		want  string
	}{
		{"Initial-pw1!\n", []string{"user", "add", "--config", cfg, "--id", "kim01", "--name", "김철수", "--cert", d.CertPath, "--password-stdin"}, "added kim01"},
		{"", []string{"user", "add", "--config", cfg, "--id", "lee01", "--name", "이영희"}, "initial password: Sv"},
		{"", []string{"user", "list", "--config", cfg}, "김철수"},
		{"", []string{"user", "lock", "--config", cfg, "--id", "kim01", "--reason", "퇴직"}, "locked kim01"},
		{"", []string{"user", "show", "--config", cfg, "--id", "kim01"}, "locked (퇴직)"},
		{"", []string{"user", "unlock", "--config", cfg, "--id", "kim01"}, "unlocked kim01"},
		{"", []string{"user", "reset-password", "--config", cfg, "--id", "kim01"}, "must be changed"},
		{"", []string{"user", "show", "--config", cfg, "--id", "kim01"}, "must change password"},
		{"", []string{"user", "bind-cert", "--config", cfg, "--id", "lee01", "--serial", "0A1b", "--issuer", "cn=CA1,o=yessign,c=kr"}, "#a1b issued by cn=CA1,o=yessign,c=kr"},
		{"", []string{"cert", "revoke", "--config", cfg, "--cert", d.CertPath, "--reason", "keyCompromise"}, "revoked serial"},
		{"", []string{"cert", "list", "--config", cfg}, "keyCompromise"},
		{"", []string{"session", "list", "--config", cfg}, "SESSION"},
		{"", []string{"audit", "--config", cfg, "--user", "kim01"}, "user_locked"},
		{"", []string{"user", "delete", "--config", cfg, "--id", "lee01"}, "deleted lee01"},
	}
	for _, s := range steps {
		code, out := runGW(t, s.stdin, s.args...)
		if code != 0 || !strings.Contains(out, s.want) {
			t.Fatalf("%v: exit %d, want %q in:\n%s", s.args, code, s.want, out)
		}
	}
	for _, args := range [][]string{{"user"}, {"user", "lock", "--config", cfg}, {"session", "kick", "--config", cfg}, {"bogus"}} {
		if code, out := runGW(t, "", args...); code != 2 {
			t.Errorf("%v: exit %d, want usage error\n%s", args, code, out)
		}
	}
	if code, _ := runGW(t, "", "user", "show", "--config", cfg, "--id", "nobody"); code != 1 {
		t.Errorf("unknown user: exit %d", code)
	}
}

// TestAdminIdentityAndIssuer: bindings always carry the issuer, and the
// identity number is registered, never shown, and gone once a certificate
// is bound.
func TestAdminIdentityAndIssuer(t *testing.T) {
	dir := t.TempDir()
	_, d, err := gateway.PrepareDemo(dir, "127.0.0.1:0", 0)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := certstore.Load(d.CertPath)
	if err != nil {
		t.Fatal(err)
	}
	issuer := certstore.IssuerString(cert.X509)
	cfg := filepath.Join(dir, "config.json")
	const rrn = "900101-1234567"
	secret := []string{"1234567", "9001011234567", "900101"}
	steps := []struct {
		args    []string
		code    int
		want    []string
		notWant []string
	}{
		// Usage errors: exit 2, nothing stored.
		{[]string{"user", "add", "--id", "x1", "--identity-number", "12345"}, 2, []string{"13 digits"}, secret},
		{[]string{"user", "add", "--id", "x2", "--identity-number", "90010a-1234567"}, 2, []string{"digits"}, secret},
		{[]string{"user", "add", "--id", "x3", "--cert", d.CertPath, "--identity-number", rrn}, 2, []string{"not with --cert"}, nil},
		{[]string{"user", "show", "--id", "x3"}, 1, nil, nil},
		{[]string{"user", "add", "--id", "park01", "--identity-number", rrn}, 0, []string{"added park01"}, secret},
		{[]string{"user", "show", "--id", "park01"}, 0, []string{"Identity number: registered", "Failures:", "Certificate: -"}, secret},
		{[]string{"user", "list"}, 0, []string{"park01"}, secret},
		{[]string{"user", "set-identity", "--id", "park01"}, 2, []string{"--identity-number is required"}, nil},
		{[]string{"user", "set-identity", "--id", "park01", "--identity-number", "1"}, 2, []string{"13 digits"}, nil},
		{[]string{"user", "set-identity", "--id", "nobody", "--identity-number", rrn}, 1, []string{"not found"}, secret},
		{[]string{"user", "set-identity", "--id", "park01", "--identity-number="}, 0, []string{"removed"}, nil},
		{[]string{"user", "show", "--id", "park01"}, 0, []string{"Identity number: none"}, nil},
		{[]string{"user", "set-identity", "--id", "park01", "--identity-number", "850505-2345678"}, 0, []string{"registered"}, []string{"2345678"}},
		{[]string{"user", "show", "--id", "park01"}, 0, []string{"Identity number: registered"}, []string{"2345678"}},
		// A serial alone no longer binds: it needs its issuer.
		{[]string{"user", "bind-cert", "--id", "park01", "--serial", "1f4"}, 2, []string{"--issuer"}, nil},
		{[]string{"user", "bind-cert", "--id", "park01", "--serial", "1f4", "--issuer", " "}, 2, []string{"--issuer"}, nil},
		{[]string{"user", "bind-cert", "--id", "park01", "--serial", "1f4", "--cert", d.CertPath}, 2, []string{"not both"}, nil},
		{[]string{"user", "show", "--id", "park01"}, 0, []string{"Certificate: -", "Identity number: registered"}, nil},
		// Bound from the certificate file: subject, serial and issuer, and
		// the identity number is gone.
		{[]string{"user", "bind-cert", "--id", "park01", "--cert", d.CertPath}, 0,
			[]string{"#" + fmt.Sprintf("%x", cert.X509.SerialNumber), "issued by " + issuer, certstore.SubjectString(cert.X509)}, nil},
		{[]string{"user", "show", "--id", "park01"}, 0, []string{"issued by " + issuer, "Identity number: none"}, nil},
		{[]string{"user", "set-identity", "--id", "park01", "--identity-number", rrn}, 1, []string{"already has a certificate"}, secret},
		{[]string{"user", "add", "--id", "kim01", "--cert", d.CertPath}, 0, []string{"added kim01"}, nil},
		{[]string{"user", "show", "--id", "kim01"}, 0, []string{"issued by " + issuer, "Identity number: none"}, nil},
	}
	for _, s := range steps {
		args := append(append([]string{}, s.args...), "--config", cfg)
		code, out := runGW(t, "", args...)
		if code != s.code {
			t.Fatalf("%v: exit %d, want %d\n%s", s.args, code, s.code, out)
		}
		for _, w := range s.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: want %q in:\n%s", s.args, w, out)
			}
		}
		for _, w := range s.notWant {
			if strings.Contains(out, w) {
				t.Errorf("%v: output shows %q:\n%s", s.args, w, out)
			}
		}
	}
}
