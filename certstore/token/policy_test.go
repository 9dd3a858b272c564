package token

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opensvpn/svpn/api"
)

func TestPolicyCheck(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "vendor.so")
	other := filepath.Join(dir, "other.so")
	for _, p := range []string{lib, other} {
		if err := os.WriteFile(p, []byte("not really a library: "+p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, _ := os.ReadFile(lib)
	sum := sha256.Sum256(data)
	good := hex.EncodeToString(sum[:])

	if _, err := (Policy{}).Check(lib); api.CodeOf(err) != api.CodeTokenModuleNotAllowed || !strings.Contains(err.Error(), lib) {
		t.Errorf("empty policy: %v", err)
	}
	if m, err := (Policy{Profile: []api.PKCS11Module{{Path: lib, SHA256: strings.ToUpper(good)}}}).Check(lib); err != nil || m.From != "profile" {
		t.Errorf("pinned and matching: %+v %v", m, err)
	}
	bad := strings.Repeat("00", 32)
	if _, err := (Policy{Profile: []api.PKCS11Module{{Path: lib, SHA256: bad}}}).Check(lib); api.CodeOf(err) != api.CodeTokenModuleHash || !strings.Contains(err.Error(), lib) {
		t.Errorf("pinned, differing: %v", err)
	}
	if _, err := (Policy{Extra: []string{lib}}).Check(other); api.CodeOf(err) != api.CodeTokenModuleNotAllowed {
		t.Errorf("another file: %v", err)
	}
	// A symbolic link to a file that is not allowed does not become
	// allowed by its name, and a link to an allowed file is that file.
	link := filepath.Join(dir, "link.so")
	if err := os.Symlink(other, link); err != nil {
		t.Skip(err)
	}
	if _, err := (Policy{Extra: []string{link}}).Check(lib); api.CodeOf(err) != api.CodeTokenModuleNotAllowed {
		t.Errorf("allowed link elsewhere: %v", err)
	}
	if m, err := (Policy{Extra: []string{other}}).Check(link); err != nil || m.Path != other {
		t.Errorf("link to an allowed file: %+v %v", m, err)
	}
	// The same file under two names is listed once.
	if ms := (Policy{Registry: []Module{{Path: other, From: "registry"}}, Extra: []string{link}}).Modules(); len(ms) != 1 || ms[0].From != "registry" {
		t.Errorf("one file, two names: %+v", ms)
	}
	missing := filepath.Join(dir, "missing.so")
	if _, err := (Policy{Extra: []string{lib}}).Check(missing); api.CodeOf(err) != api.CodeTokenModuleNotAllowed {
		t.Errorf("missing, not allowed: %v", err)
	}
	if _, err := (Policy{Extra: []string{missing}}).Check(missing); api.CodeOf(err) != api.CodeTokenModuleFailed {
		t.Errorf("missing, allowed: %v", err)
	}
}

func TestP11KitRegistry(t *testing.T) {
	share, etc, libdir := t.TempDir(), t.TempDir(), t.TempDir()
	abs := filepath.Join(libdir, "abs.so")
	rel := filepath.Join(libdir, "rel.so")
	for _, p := range []string{abs, rel} {
		os.WriteFile(p, nil, 0o644)
	}
	write := func(dir, name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(share, "a.module", "# comment\nmodule: "+abs+"\n")
	write(share, "b.module", "module: rel.so\n")
	write(share, "c.module", "module: missing.so\n")
	write(share, "d.module", "module: "+abs+"\nenable-in: seahorse\n")
	write(share, "trust.module", "module: "+rel+"\ntrust-policy: yes\n")
	write(share, "e.module", "module: "+rel+"\n")
	write(etc, "e.module", "module: "+rel+"\ndisable-in: svpn, svpnctl\n") // the administrator's file wins
	write(share, "notes.txt", "module: "+abs)
	got := ReadP11KitRegistry([]string{share, etc}, []string{libdir})
	var names []string
	for _, m := range got {
		names = append(names, m.Name+"="+filepath.Base(m.Path))
		if m.From != "registry" {
			t.Errorf("%+v", m)
		}
	}
	if strings.Join(names, ",") != "a=abs.so,b=rel.so" {
		t.Errorf("registry: %v", names)
	}
}
