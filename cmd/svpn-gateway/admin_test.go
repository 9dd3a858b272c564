package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

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
		{"", []string{"user", "bind-cert", "--config", cfg, "--id", "lee01", "--serial", "0A1b"}, "#a1b"},
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
