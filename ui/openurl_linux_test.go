package ui

import (
	"net/url"
	"os"
	"path/filepath"
	"testing"
)

// TestSystemOpenerReportsFailure: xdg-open's failure (no browser: exit 3)
// reaches the caller, so the window can offer the address instead.
func TestSystemOpenerReportsFailure(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "xdg-open")
	u, _ := url.Parse("https://www.example.go.kr/svpn/manual")
	for _, tc := range []struct {
		body string
		fail bool
	}{
		{"#!/bin/sh\necho 'xdg-open: no method available' >&2\nexit 3\n", true},
		{"#!/bin/sh\nexit 0\n", false},
	} {
		if err := os.WriteFile(script, []byte(tc.body), 0o755); err != nil {
			t.Fatal(err)
		}
		t.Setenv("PATH", dir)
		err := SystemOpener()(u)
		if (err != nil) != tc.fail {
			t.Errorf("xdg-open %q: err %v, want failure %v", tc.body, err, tc.fail)
		}
	}
}
