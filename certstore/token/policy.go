package token

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/opensvpn/svpn/api"
)

// Module is a PKCS#11 module allowed to be loaded.
type Module struct {
	Path   string // absolute path of the library
	Name   string // shown to the user: the registry's file name or the profile's name
	From   string // "registry", "profile" or "command line"
	SHA256 string // lower-case hex; "" = not pinned
}

// Policy says which modules may be loaded. A module outside it is refused
// before its file is opened by the dynamic loader.
type Policy struct {
	// Registry is the system's module registry (p11-kit's on Linux, see
	// RegistryModules); nil on systems without one.
	Registry []Module
	// Profile are the modules the installed profile names.
	Profile []api.PKCS11Module
	// Extra are the modules given for this run (--pkcs11-module): the user
	// of the command line chose them for their own process.
	Extra []string
}

// Modules lists the allowed modules, registry first, each path once.
func (p Policy) Modules() []Module {
	var out []Module
	seen := map[string]bool{}
	add := func(m Module) {
		m.Path = filepath.Clean(m.Path)
		// One file under two names (a symbolic link) is one module: it
		// is loaded, and its tokens listed, once.
		key := m.Path
		if real, err := filepath.EvalSymlinks(m.Path); err == nil {
			key = real
		}
		if !filepath.IsAbs(m.Path) || seen[key] {
			return
		}
		seen[key] = true
		out = append(out, m)
	}
	for _, m := range p.Registry {
		add(m)
	}
	for _, m := range p.Profile {
		name := m.Name
		if name == "" {
			name = filepath.Base(m.Path)
		}
		add(Module{Path: m.Path, Name: name, From: "profile", SHA256: strings.ToLower(strings.TrimSpace(m.SHA256))})
	}
	for _, e := range p.Extra {
		if abs, err := filepath.Abs(e); err == nil {
			add(Module{Path: abs, Name: filepath.Base(abs), From: "command line"})
		}
	}
	return out
}

// Check decides whether path may be loaded: it must be one of the allowed
// modules (compared after resolving symbolic links on both sides, so a
// link planted in a writable folder does not stand for an allowed file),
// and where a SHA-256 is pinned, the file must have it. It returns the
// module, resolved, or token_module_not_allowed / token_module_hash with
// the path.
func (p Policy) Check(path string) (Module, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return Module{}, api.Errorf(api.CodeTokenModuleNotAllowed, "PKCS#11 module %s: %w", path, err)
	}
	// real is "" when the file is missing: then only an allowed path as
	// written can match, and the error says the file is missing.
	real, _ := filepath.EvalSymlinks(abs)
	for _, m := range p.Modules() {
		mr, _ := filepath.EvalSymlinks(m.Path)
		if m.Path != abs && (real == "" || mr != real) {
			continue
		}
		if real == "" {
			return Module{}, api.Errorf(api.CodeTokenModuleFailed, "PKCS#11 module %s: no such file", abs)
		}
		m.Path = real
		if m.SHA256 != "" {
			f, err := os.Open(real)
			if err != nil {
				return Module{}, moduleFileError(m, err)
			}
			err = checkHash(m, f)
			f.Close()
			if err != nil {
				return Module{}, err
			}
		}
		return m, nil
	}
	return Module{}, api.Errorf(api.CodeTokenModuleNotAllowed, "PKCS#11 module %s is neither in the module registry nor in the profile's pkcs11_modules", abs)
}

// checkHash hashes the open module file f against m's pinned SHA-256.
func checkHash(m Module, f *os.File) error {
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return moduleFileError(m, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != m.SHA256 {
		return api.Errorf(api.CodeTokenModuleHash, "PKCS#11 module %s: SHA-256 %s, the profile allows %s", m.Path, got, m.SHA256)
	}
	return nil
}

func moduleFileError(m Module, err error) error {
	return api.Errorf(api.CodeTokenModuleFailed, "PKCS#11 module %s: %w", m.Path, err)
}
