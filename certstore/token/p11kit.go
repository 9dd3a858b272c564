package token

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// P11KitConfigDirs are where p11-kit reads module configuration files
// (pkcs11.conf(5)): the packaged modules, then the administrator's.
var P11KitConfigDirs = []string{"/usr/share/p11-kit/modules", "/etc/pkcs11/modules"}

// p11KitModuleDirs are where p11-kit resolves a module: line that is not an
// absolute path (its P11_MODULE_PATH, per distribution).
var p11KitModuleDirs = []string{"/usr/lib/x86_64-linux-gnu/pkcs11", "/usr/lib/aarch64-linux-gnu/pkcs11", "/usr/lib64/pkcs11", "/usr/lib/pkcs11"}

// ReadP11KitRegistry reads the *.module files of dirs (later folders
// override earlier ones file by file, as p11-kit does) and returns the
// modules they name that are enabled and exist. moduleDirs resolve
// relative module: lines.
func ReadP11KitRegistry(dirs, moduleDirs []string) []Module {
	byName := map[string]string{}
	var order []string
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || !strings.HasSuffix(name, ".module") {
				continue
			}
			base := strings.TrimSuffix(name, ".module")
			if _, ok := byName[base]; !ok {
				order = append(order, base)
			}
			byName[base] = filepath.Join(dir, name)
		}
	}
	var out []Module
	for _, base := range order {
		f, err := os.Open(byName[base])
		if err != nil {
			continue
		}
		mod, enabled := parseModuleFile(io.LimitReader(f, 64<<10))
		f.Close()
		if mod == "" || !enabled {
			continue
		}
		path := ""
		if filepath.IsAbs(mod) {
			path = mod
		} else {
			for _, d := range moduleDirs {
				if _, err := os.Stat(filepath.Join(d, mod)); err == nil {
					path = filepath.Join(d, mod)
					break
				}
			}
		}
		if path == "" {
			continue
		}
		if _, err := os.Stat(path); err != nil {
			continue
		}
		out = append(out, Module{Path: path, Name: base, From: "registry"})
	}
	return out
}

// parseModuleFile reads a p11-kit module config: "module:" and whether
// "enable-in"/"disable-in" leave it enabled for ordinary programs.
func parseModuleFile(r io.Reader) (module string, enabled bool) {
	enabled = true
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "module":
			module = v
		case "enable-in":
			// Enabled only in the named programs; SVPN is none of them.
			enabled = false
		case "disable-in":
			for p := range strings.SplitSeq(v, ",") {
				if strings.TrimSpace(p) == "svpn" || strings.TrimSpace(p) == "svpnctl" {
					enabled = false
				}
			}
		case "trust-policy":
			// A trust store (p11-kit-trust), not a token.
			if v == "yes" || v == "true" {
				enabled = false
			}
		case "disabled":
			if v == "yes" || v == "true" {
				enabled = false
			}
		}
	}
	return module, enabled
}
