// Command notices writes THIRD_PARTY_NOTICES and the Debian copyright
// files (installer/linux/copyright-PACKAGE, machine-readable DEP-5) from
// what the shipped programs really contain: `go list -deps` of each program
// for each OS it ships on, the module of every package, and the licence
// files in each module's directory of the module cache (`go mod download`
// puts them there; `make deps` runs it).
//
//	go run ./scripts/notices           # rewrite the files (make notices)
//	go run ./scripts/notices -check    # fail if they are out of date (make test)
//
// Run it from the repository root.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// program is one shipped binary and the OSes it ships on.
type program struct {
	name string
	pkg  string
	oses []string
	deb  string // the .deb that carries it on Linux, "" if none
}

var programs = []program{
	{"svpn", "./cmd/svpn", []string{"linux", "windows", "darwin"}, "svpn"},
	{"svpnd", "./cmd/svpnd", []string{"linux", "windows", "darwin"}, "svpn"},
	{"svpnctl", "./cmd/svpnctl", []string{"linux", "windows", "darwin"}, "svpn"},
	{"svpn-recover", "./installer/cmd/svpn-recover", []string{"linux", "windows", "darwin"}, "svpn"},
	{"profilecheck", "./installer/cmd/profilecheck", []string{"windows"}, ""},
	{"svpn-gateway", "./cmd/svpn-gateway", []string{"linux"}, "svpn-gateway"},
}

// debs are the Debian packages that get a copyright file.
var debs = []string{"svpn", "svpn-gateway"}

const fontPkg = "github.com/opensvpn/svpn/assets"

type module struct {
	path, version, dir string
	files              []licenseFile
	license            string // SPDX identifier of the main licence
	copyright          []string
	programs           map[string]bool
	debs               map[string]bool
}

type licenseFile struct {
	name, text string
}

func main() {
	check := flag.Bool("check", false, "compare with the files in the tree instead of writing them")
	flag.Parse()
	out, err := generate()
	if err != nil {
		fmt.Fprintln(os.Stderr, "notices:", err)
		os.Exit(1)
	}
	stale := false
	for _, name := range sortedKeys(out) {
		if *check {
			old, err := os.ReadFile(name)
			if err != nil || !bytes.Equal(old, out[name]) {
				fmt.Fprintf(os.Stderr, "notices: %s is out of date: run make notices (go run ./scripts/notices) and commit it\n", name)
				stale = true
			}
			continue
		}
		if err := os.WriteFile(name, out[name], 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "notices:", err)
			os.Exit(1)
		}
	}
	if stale {
		os.Exit(1)
	}
}

// generate returns the contents of every file, by path.
func generate() (map[string][]byte, error) {
	mods := map[string]*module{}
	fontIn := map[string]bool{} // programs embedding the Hangul font
	fontDebs := map[string]bool{}
	for _, p := range programs {
		for _, goos := range p.oses {
			cmd := exec.Command("go", "list", "-deps", "-f",
				"{{.ImportPath}}\t{{with .Module}}{{if not .Main}}{{.Path}}\t{{.Version}}\t{{.Dir}}{{end}}{{end}}", p.pkg)
			cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH=amd64", "CGO_ENABLED=1", "GOFLAGS=-mod=readonly")
			cmd.Stderr = os.Stderr
			b, err := cmd.Output()
			if err != nil {
				return nil, fmt.Errorf("go list %s (GOOS=%s): %v", p.pkg, goos, err)
			}
			for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				f := strings.Split(line, "\t")
				if f[0] == fontPkg {
					fontIn[p.name] = true
					if goos == "linux" && p.deb != "" {
						fontDebs[p.deb] = true
					}
				}
				if len(f) < 4 {
					continue // the standard library or SVPN itself
				}
				m := mods[f[1]]
				if m == nil {
					if f[3] == "" {
						return nil, fmt.Errorf("module %s@%s is not in the module cache: run go mod download", f[1], f[2])
					}
					m = &module{path: f[1], version: f[2], dir: f[3], programs: map[string]bool{}, debs: map[string]bool{}}
					mods[f[1]] = m
				}
				m.programs[p.name] = true
				if goos == "linux" && p.deb != "" {
					m.debs[p.deb] = true
				}
			}
		}
	}
	var list []*module
	for _, m := range mods {
		if err := m.readLicenses(); err != nil {
			return nil, err
		}
		list = append(list, m)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].path < list[j].path })

	goLicense, err := goRootLicense()
	if err != nil {
		return nil, err
	}
	font, err := os.ReadFile("assets/fonts/OFL.txt")
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{"THIRD_PARTY_NOTICES": notices(list, goLicense, string(font), fontIn)}
	for _, d := range debs {
		out["installer/linux/copyright-"+d] = dep5(d, list, string(font), fontDebs[d])
	}
	return out, nil
}

var licenseName = regexp.MustCompile(`(?i)^(licen[cs]e|copying|notice|patents|unlicense)([-._].*)?$`)

func (m *module) readLicenses() error {
	ents, err := os.ReadDir(m.dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if e.IsDir() || !licenseName.MatchString(e.Name()) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(m.dir, e.Name()))
		if err != nil {
			return err
		}
		m.files = append(m.files, licenseFile{e.Name(), strings.TrimSpace(strings.ReplaceAll(string(b), "\r\n", "\n"))})
	}
	for _, f := range m.files {
		up := strings.ToUpper(f.name)
		if strings.HasPrefix(up, "NOTICE") {
			m.copyright = append(m.copyright, copyrights(f.text)...)
		}
		if strings.HasPrefix(up, "NOTICE") || strings.HasPrefix(up, "PATENTS") || strings.Contains(up, "-") {
			continue // the main licence is LICENSE / COPYING
		}
		if m.license == "" {
			m.license = classify(f.text)
		}
		m.copyright = append(m.copyright, copyrights(f.text)...)
	}
	if m.license == "" {
		return fmt.Errorf("module %s@%s: no licence file in %s", m.path, m.version, m.dir)
	}
	if m.license == "unknown" {
		return fmt.Errorf("module %s@%s: licence not recognised; teach classify() about it", m.path, m.version)
	}
	return nil
}

// classify names a licence text by its SPDX identifier.
func classify(text string) string {
	t := strings.Join(strings.Fields(text), " ")
	switch {
	case strings.Contains(t, "Apache License") && strings.Contains(t, "Version 2.0"):
		return "Apache-2.0"
	case strings.Contains(t, "Mozilla Public License Version 2.0"), strings.Contains(t, "Mozilla Public License, version 2.0"):
		return "MPL-2.0"
	case strings.Contains(t, "Permission is hereby granted, free of charge"):
		return "MIT"
	case strings.Contains(t, "Redistribution and use in source and binary forms"):
		if strings.Contains(t, "Neither the name") || strings.Contains(t, "names of its contributors") || strings.Contains(t, "name of the copyright holder") {
			return "BSD-3-Clause"
		}
		return "BSD-2-Clause"
	case strings.Contains(t, "Permission to use, copy, modify, and/or distribute this software for any purpose"),
		strings.Contains(t, "Permission to use, copy, modify, and distribute this software for any purpose"):
		return "ISC"
	case strings.Contains(t, "The origin of this software must not be misrepresented"):
		return "Zlib"
	case strings.Contains(t, "This is free and unencumbered software released into the public domain"):
		return "Unlicense"
	}
	return "unknown"
}

// copyrightLine matches "Copyright (c) 2015 Someone" and "Copyright The X
// Authors", not the licence terms that merely begin with the word.
var copyrightLine = regexp.MustCompile(`(?m)^\s*(?:Copyright|COPYRIGHT)\s*(?:\([cC]\)|©)?\s*((?:\d{4}|[Tt]he ).*)$`)

func copyrights(text string) []string {
	var out []string
	for _, m := range copyrightLine.FindAllStringSubmatch(text, -1) {
		c := strings.TrimSpace(m[1])
		c = strings.TrimPrefix(c, "(c) ")
		if c == "" || strings.HasPrefix(strings.ToLower(c), "notice") || strings.HasPrefix(strings.ToLower(c), "holder") ||
			strings.HasPrefix(strings.ToLower(c), "owner") || strings.Contains(c, "[yyyy]") || strings.Contains(c, "{yyyy}") {
			continue
		}
		c = strings.Join(strings.Fields(c), " ")
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

func goRootLicense() (string, error) {
	b, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return "", err
	}
	l, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(b)), "LICENSE"))
	return strings.TrimSpace(string(l)), err
}

func names(set map[string]bool) string { return strings.Join(sortedKeys(set), ", ") }

func sortedKeys[V any](m map[string]V) []string {
	var k []string
	for s := range m {
		k = append(k, s)
	}
	sort.Strings(k)
	return k
}

const rule = "================================================================================"

func notices(list []*module, goLicense, font string, fontIn map[string]bool) []byte {
	var b bytes.Buffer
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("SVPN third-party notices\n\n")
	w("SVPN itself is Copyright (c) The SVPN Authors, MIT licence (see LICENSE).\n")
	w("This file lists what SVPN's programs and packages contain that others made,\n")
	w("with each licence in full. It is generated by `go run ./scripts/notices`\n")
	w("(make notices) from the modules the shipped programs link; make test fails\n")
	w("when it is out of date. Do not edit it by hand.\n\n")

	w("%s\nParts other than Go modules\n%s\n\n", rule, rule)
	w("* SVPN Gothic Regular and Bold (assets/fonts), subsets of NanumGothic and\n")
	w("  NanumGothicBold renamed as the licence requires, embedded in: %s.\n", names(fontIn))
	w("  Copyright (c) 2010, NAVER Corporation. SIL Open Font License 1.1, text below.\n")
	w("* Icons (assets/icons, and the .ico/.icns/.png made from them by the installers):\n")
	w("  drawn by assets/gen for SVPN, The SVPN Authors, MIT licence (LICENSE).\n")
	w("* wintun.dll, in the Windows installer only: Copyright (c) WireGuard LLC,\n")
	w("  redistributed unmodified under the Wintun Prebuilt Binaries License\n")
	w("  (LICENSE.txt in the Wintun zip from https://www.wintun.net/).\n")
	w("* The Go standard library and runtime, in every program: BSD-3-Clause, text below.\n")
	w("* Test fixtures (internal/testfixtures/testdata, in the source only, never shipped):\n")
	w("  npki-real from PyPinkSign, Copyright (c) 2015 Jung Sang-jun, MIT licence\n")
	w("  (notice in internal/testfixtures/testdata/npki-real/README.md);\n")
	w("  pbes2-openssl made for SVPN, MIT licence (LICENSE).\n\n")

	w("%s\nGo modules in the shipped programs\n%s\n\n", rule, rule)
	w("Programs: svpn (desktop app), svpnd, svpnctl, svpn-recover on Linux, Windows and\nmacOS; profilecheck (Windows installer); svpn-gateway (Linux).\n\n")
	for _, m := range list {
		w("%s %s  %s  (in: %s)\n", m.path, m.version, m.license, names(m.programs))
	}
	w("\n%s\nLicence texts\n%s\n", rule, rule)
	w("\n--- The Go standard library and runtime (LICENSE of the Go distribution) ---\n\n%s\n", goLicense)
	w("\n--- SVPN Gothic, from NanumGothic (assets/fonts/OFL.txt) ---\n\n%s\n", strings.TrimSpace(font))
	for _, m := range list {
		for _, f := range m.files {
			w("\n--- %s %s (%s) ---\n\n%s\n", m.path, m.version, f.name, f.text)
		}
	}
	return b.Bytes()
}

// debName maps an SPDX identifier to the DEP-5 short name.
var debName = map[string]string{
	"MIT": "Expat", "BSD-3-Clause": "BSD-3-clause", "BSD-2-Clause": "BSD-2-clause",
	"Apache-2.0": "Apache-2.0", "MPL-2.0": "MPL-2.0", "ISC": "ISC", "Unlicense": "Unlicense", "Zlib": "Zlib",
}

// dep5 is /usr/share/doc/DEB/copyright: SVPN, then each module compiled
// into the package's programs as `go mod vendor` would lay it out, then
// every licence used.
func dep5(deb string, list []*module, font string, withFont bool) []byte {
	var b bytes.Buffer
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n")
	w("Upstream-Name: svpn\n")
	w("Upstream-Contact: SVPN <svpn@opensvpn.invalid>\n")
	w("Source: https://github.com/opensvpn/svpn\n")
	w("Comment: The programs in this package are statically linked Go binaries.\n")
	w(" The Go modules compiled into them are listed as vendor/MODULE/*, where\n")
	w(" `go mod vendor` would put them; the Go standard library as go/*.\n")
	w(" THIRD_PARTY_NOTICES beside this file has every licence text in full.\n")
	w(" Generated by scripts/notices in the SVPN source.\n\n")
	used := map[string]bool{"Expat": true, "BSD-3-clause": true}
	w("Files: *\nCopyright: The SVPN Authors\nLicense: Expat\n\n")
	if withFont {
		w("Files: assets/fonts/*\nCopyright: 2010, NAVER Corporation\nLicense: OFL-1.1\n\n")
		used["OFL-1.1"] = true
	}
	w("Files: go/*\nCopyright: 2009 The Go Authors\nLicense: BSD-3-clause\n\n")
	for _, m := range list {
		if !m.debs[deb] {
			continue
		}
		lic := debName[m.license]
		used[lic] = true
		cr := m.copyright
		if len(cr) == 0 {
			cr = []string{"the " + m.path + " authors"}
		}
		w("Files: vendor/%s/*\nCopyright: %s\nLicense: %s\nComment: %s %s\n\n", m.path, strings.Join(cr, "\n "), lic, m.path, m.version)
	}
	for _, lic := range sortedKeys(used) {
		w("License: %s\n%s\n", lic, indent(licenseText(lic, font)))
		b.WriteString("\n")
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// indent formats text as a DEP-5 continuation: one space, "." for empty lines.
func indent(text string) string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		l = strings.TrimRight(l, " \t")
		if l == "" {
			l = "."
		}
		lines = append(lines, " "+l)
	}
	return strings.Join(lines, "\n")
}

func licenseText(lic, font string) string {
	switch lic {
	case "Apache-2.0", "MPL-2.0":
		return "On Debian systems, the complete text of the license can be found in\n/usr/share/common-licenses/" + lic + "."
	case "OFL-1.1":
		if i := strings.Index(font, "SIL OPEN FONT LICENSE"); i >= 0 {
			return font[i:]
		}
		return font
	}
	return licenseTexts[lic]
}

var licenseTexts = map[string]string{
	"Expat": `Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.`,
	"BSD-3-clause": `Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice,
   this list of conditions and the following disclaimer.

2. Redistributions in binary form must reproduce the above copyright notice,
   this list of conditions and the following disclaimer in the documentation
   and/or other materials provided with the distribution.

3. Neither the name of the copyright holder nor the names of its
   contributors may be used to endorse or promote products derived from
   this software without specific prior written permission.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE
ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE
LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR
CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF
SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS
INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN
CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE)
ARISING IN ANY WAY OUT OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE
POSSIBILITY OF SUCH DAMAGE.`,
	"BSD-2-clause": `Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice,
   this list of conditions and the following disclaimer.

2. Redistributions in binary form must reproduce the above copyright notice,
   this list of conditions and the following disclaimer in the documentation
   and/or other materials provided with the distribution.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE
ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE
LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR
CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF
SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS
INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN
CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE)
ARISING IN ANY WAY OUT OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE
POSSIBILITY OF SUCH DAMAGE.`,
	"ISC": `Permission to use, copy, modify, and/or distribute this software for any
purpose with or without fee is hereby granted, provided that the above
copyright notice and this permission notice appear in all copies.

THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.`,
	"Zlib": `This software is provided 'as-is', without any express or implied
warranty. In no event will the authors be held liable for any damages
arising from the use of this software.

Permission is granted to anyone to use this software for any purpose,
including commercial applications, and to alter it and redistribute it
freely, subject to the following restrictions:

1. The origin of this software must not be misrepresented; you must not
   claim that you wrote the original software. If you use this software
   in a product, an acknowledgment in the product documentation would be
   appreciated but is not required.

2. Altered source versions must be plainly marked as such, and must not be
   misrepresented as being the original software.

3. This notice may not be removed or altered from any source
   distribution.`,
	"Unlicense": `This is free and unencumbered software released into the public domain.
See https://unlicense.org/ for the full text.`,
}
