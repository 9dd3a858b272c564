package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opensvpn/svpn/mobileid"
	"github.com/opensvpn/svpn/mobileid/wallet"
)

func run(stdin string, args ...string) (int, string) {
	var out bytes.Buffer
	c := &cli{stdin: strings.NewReader(stdin), stdout: &out, stderr: &out, getenv: func(string) string { return "" }}
	return c.run(args), out.String()
}

// TestLockAfterFivePINs: the simulator's approve counts wrong PINs in the
// wallet file and locks after five; a locked wallet is refused before any
// network traffic (the QR here names an unreachable host).
func TestLockAfterFivePINs(t *testing.T) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	did, _ := mobileid.HolderDID(&k.PublicKey)
	vc, err := mobileid.Issue(k, mobileid.IssueOptions{IssuerDID: "did:web:test", HolderDID: did,
		Subject: map[string]string{"employee_id": "kim01"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "w.json")
	if err := wallet.Create(path, "123456", k, vc, "", ""); err != nil {
		t.Fatal(err)
	}
	w, _ := wallet.Open(path)
	for i := 0; i < 5; i++ {
		w.Unlock("999999")
	}
	qr, _ := mobileid.NewRequest(strings.Repeat("A", mobileid.TrxCodeLen), "https://127.0.0.1:1").Encode()
	code, out := run("0000\n123456\n", "approve", "--wallet", path, "--qr", qr, "--code", "0000")
	if code != exitLocked || !strings.Contains(out, "E-143") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	code, out = run("", "show", "--wallet", path)
	if code != exitOK || !strings.Contains(out, "locked: true") || !strings.Contains(out, "employee_id: kim01") {
		t.Fatalf("show: exit %d\n%s", code, out)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"approve"}, {"approve", "--wallet", "x"}, {"approve", "--wallet", "x", "--qr", "a", "--qr-png", "b"}, {"nope"}} {
		if code, _ := run("", args...); code != exitUsage {
			t.Errorf("%q: exit %d", args, code)
		}
	}
}
