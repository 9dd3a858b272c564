package api

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadProfile(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "profile.json")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	p, err := LoadProfile(write(`{"name":"원격근무서비스","gateway_url":"https://vpn.example.go.kr","gateway_id":"svpn-gateway-1","ca_file":"ca.pem",
		"ca_pin":"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}`))
	if err != nil {
		t.Fatal(err)
	}
	if p.CAFile != filepath.Join(dir, "ca.pem") {
		t.Errorf("relative ca_file resolved to %s", p.CAFile)
	}
	for body, want := range map[string]string{
		`{"name":"x","gateway_url":"http://vpn"}`:                         "gateway_url",
		`{"gateway_url":"https://vpn"}`:                                   "name",
		`{"name":"x","gateway_url":"https://vpn","ca_pin":"abc"}`:         "ca_pin",
		`{"name":"x","gateway_url":"https://vpn","manual_url":"ftp://x"}`: "manual_url",
		`{"name":"x","gateway_url":"https://vpn","unknown":1}`:            "unknown",
		`{"name":"x","gateway_url":"https://vpn/path"}`:                   "gateway_url",
		`{"name":"x","gateway_url":"https://vpn"}`:                        "gateway_id",
		`{"name":"x","gateway_url":"https://vpn","gateway_id":"a b"}`:     "gateway_id",
	} {
		_, err := LoadProfile(write(body))
		if CodeOf(err) != CodeProfileInvalid || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want a %s error", body, err, want)
		}
	}
}
