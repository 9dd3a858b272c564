package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/gateway"
	"github.com/opensvpn/svpn/gateway/store"
)

// TestCertMovesCommands: the helpdesk reads and resets a certificate's
// device count.
func TestCertMovesCommands(t *testing.T) {
	dir := t.TempDir()
	cfgFile, d, err := gateway.PrepareDemo(dir, "127.0.0.1:0", 0)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config.json")
	st, err := store.Open(context.Background(), cfgFile.Store)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := certstore.Load(d.CertPath)
	h := sha256.Sum256(cert.X509.Raw)
	st.AddCertMove(context.Background(), hex.EncodeToString(h[:]), "u", cert.X509.NotBefore)
	st.AddCertMove(context.Background(), hex.EncodeToString(h[:]), "u", cert.X509.NotBefore)
	st.Close()
	for _, s := range []struct {
		args []string
		want string
	}{
		{[]string{"cert", "moves", "--config", cfg, "--cert", d.CertPath}, "on 3 PC(s)"},
		{[]string{"cert", "moves-reset", "--config", cfg, "--cert", d.CertPath}, "moves forgotten"},
		{[]string{"cert", "moves", "--config", cfg, "--cert", d.CertPath}, "on 1 PC(s)"},
		{[]string{"audit", "--config", cfg}, "certmove_devices_reset"},
	} {
		code, out := runGW(t, "", s.args...)
		if code != 0 || !strings.Contains(out, s.want) {
			t.Fatalf("%v: exit %d, want %q in:\n%s", s.args, code, s.want, out)
		}
	}
	if code, out := runGW(t, "", "cert", "moves", "--config", cfg); code != 2 {
		t.Fatalf("without --cert: exit %d\n%s", code, out)
	}
}
