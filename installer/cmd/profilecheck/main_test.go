package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestProfilecheck(t *testing.T) {
	dir := t.TempDir()
	good := write(t, dir, "good.json", `{"name":"원격근무서비스","gateway_url":"https://vpn.example.go.kr:8443","gateway_id":"gw1","ca_pin":"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}`)
	for _, tc := range []struct {
		name, profile string
		files         bool
		code          int
		want          []string // in stdout+stderr
	}{
		{"good", good, false, 0, []string{"good.json: ok (원격근무서비스, https://vpn.example.go.kr:8443)"}},
		{"every problem named", write(t, dir, "bad.json", `{"name":"","gateway_url":"http://x","manual_url":"ftp://m"}`), false, 1,
			[]string{"INVALID", "name: required", "gateway_url: an https://host[:port] URL", "manual_url: an http(s) URL"}},
		{"unknown field", write(t, dir, "typo.json", `{"name":"a","gateway_url":"https://a","gateway":"x"}`), false, 1, []string{`unknown field "gateway"`}},
		{"bad pin", write(t, dir, "pin.json", `{"name":"a","gateway_url":"https://a","ca_pin":"abc"}`), false, 1, []string{"ca_pin: the base64 SHA-256"}},
		{"missing file", filepath.Join(dir, "none.json"), false, 1, []string{"none.json", "INVALID"}},
		{"ca_file not read without --files", write(t, dir, "ca.json", `{"name":"a","gateway_url":"https://a","gateway_id":"gw1","ca_file":"/nonexistent/ca.pem"}`), false, 0, []string{"ok"}},
		{"ca_file read with --files", filepath.Join(dir, "ca.json"), true, 1, []string{"ca_file:", "/nonexistent/ca.pem"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			args := []string{tc.profile}
			if tc.files {
				args = append([]string{"--files"}, args...)
			}
			if code := run(args, &out, &out); code != tc.code {
				t.Errorf("exit %d, want %d\n%s", code, tc.code, out.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
	var out bytes.Buffer
	if code := run(nil, &out, &out); code != 2 {
		t.Errorf("no arguments: exit %d", code)
	}
}
