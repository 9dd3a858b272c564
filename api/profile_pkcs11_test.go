package api

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestProfilePKCS11Modules(t *testing.T) {
	dir := t.TempDir()
	abs := filepath.Join(dir, "vendor.so")
	write := func(mods string) string {
		p := filepath.Join(dir, "profile.json")
		body := `{"name":"x","gateway_url":"https://vpn","gateway_id":"g","pkcs11_modules":` + mods + `}`
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	absJSON := strings.ReplaceAll(abs, `\`, `\\`)
	p, err := LoadProfile(write(`[{"name":"Vendor","path":"` + absJSON + `","sha256":"` + strings.Repeat("ab", 32) + `"}]`))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.PKCS11Modules) != 1 || p.PKCS11Modules[0].Path != abs {
		t.Fatalf("modules: %+v", p.PKCS11Modules)
	}
	for mods, want := range map[string]string{
		`[{"path":"vendor.so"}]`:                       "pkcs11_modules[0].path",
		`[{"path":""}]`:                                "pkcs11_modules[0].path",
		`[{"path":"` + absJSON + `","sha256":"abcd"}]`: "pkcs11_modules[0].sha256",
		`[{"path":"` + absJSON + `","sha256":"` + strings.Repeat("zz", 32) + `"}]`: "sha256",
	} {
		_, err := LoadProfile(write(mods))
		if CodeOf(err) != CodeProfileInvalid || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want a %s error", mods, err, want)
		}
	}
}
