package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCertsMoveUsage: what send and receive refuse before talking to
// svpnd, with the exit codes of the other commands.
func TestCertsMoveUsage(t *testing.T) {
	dir := t.TempDir()
	pfx := filepath.Join(dir, "a.pfx")
	os.WriteFile(pfx, []byte("not really"), 0o600)
	nowhere := filepath.Join(dir, "no-daemon.sock")
	for _, tc := range []struct {
		stdin string
		args  []string
		code  int
		says  string
	}{
		{"", []string{"certs", "send"}, exitUsage, "--cert is required"},
		{"", []string{"certs", "send", "--cert", filepath.Join(dir, "missing")}, exitNotFound, "E-2"},
		{"", []string{"certs", "send", "--cert", pfx}, exitFailure, "E-270"},
		{"", []string{"certs", "receive", "--code", "1234-5678-9012"}, exitUsage, "--user is required"},
		{"", []string{"certs", "receive", "--user", "kim01"}, exitUsage, "give --code"},
		{"1234-5678-9012\n", []string{"certs", "receive", "--user", "kim01"}, exitFailure, "E-262"},
		{"", []string{"certs", "receive", "--user", "kim01", "--code", "12-34"}, exitFailure, "E-262"},
		{"", []string{"--socket", nowhere, "certs", "receive", "--user", "kim01", "--code", "4821-0937-5519", "--removable", dir}, exitDaemon, "E-601"},
	} {
		code, out, errOut := runCLI(t, tc.stdin, tc.args...)
		if code != tc.code || !strings.Contains(out+errOut, tc.says) {
			t.Errorf("%v: exit %d, want %d with %q\n%s%s", tc.args, code, tc.code, tc.says, out, errOut)
		}
	}
}
