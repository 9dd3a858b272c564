package ui

import (
	"net/url"
	"os"
	"path/filepath"
	"slices"
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

// TestBrowserEnv: the browser gets neither svpn's stand-in bus address nor
// the English LANGUAGE a window process keeps for Fyne, but the user's.
func TestBrowserEnv(t *testing.T) {
	for _, tc := range []struct{ in, want []string }{
		{[]string{"HOME=/h", "DBUS_SESSION_BUS_ADDRESS=disabled:", "LANGUAGE=en", UserLanguageEnv + "=ko:en"},
			[]string{"HOME=/h", "LANGUAGE=ko:en"}},
		{[]string{"LANGUAGE=en", UserLanguageEnv + "="}, nil},
		{[]string{"LANGUAGE=ko", "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1/bus"},
			[]string{"LANGUAGE=ko", "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1/bus"}},
	} {
		if got := browserEnv(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("browserEnv(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
