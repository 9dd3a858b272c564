package api

import (
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
)

// PKCS11Module is a security token driver an administrator allows: the
// agency's token vendors' modules on Windows and macOS, where no module
// registry exists. With SHA256 set, a module file that differs is refused
// before it is loaded.
type PKCS11Module struct {
	Name   string `json:"name,omitempty"`   // shown in the picker, e.g. the vendor's name
	Path   string `json:"path"`             // absolute path of the .so / .dll / .dylib
	SHA256 string `json:"sha256,omitempty"` // hex SHA-256 of the file, optional
}

func (p *Profile) validatePKCS11Modules() []error {
	var errs []error
	for i, m := range p.PKCS11Modules {
		// filepath.IsAbs of the running OS: a profile is installed on the
		// machine it is for.
		if m.Path == "" || !filepath.IsAbs(m.Path) {
			errs = append(errs, fmt.Errorf("pkcs11_modules[%d].path: an absolute path, got %q", i, m.Path))
		}
		if m.SHA256 != "" {
			if b, err := hex.DecodeString(strings.TrimSpace(m.SHA256)); err != nil || len(b) != 32 {
				errs = append(errs, fmt.Errorf("pkcs11_modules[%d].sha256: 64 hex digits, got %q", i, m.SHA256))
			}
		}
	}
	return errs
}
