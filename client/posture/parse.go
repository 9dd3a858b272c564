package posture

// Pure decoders of what the platforms report. They live in a file without
// build tags so their tests run on every OS, whichever OS uses them.

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"unicode/utf16"

	"golang.org/x/text/unicode/norm"

	"github.com/opensvpn/svpn/api"
)

// productState is what a Windows Security Center productState says about
// one antivirus product.
type productState struct {
	Enabled  bool // real-time protection is on
	UpToDate bool // definitions are current
}

// decodeProductState decodes the undocumented but stable productState of
// root/SecurityCenter2 AntiVirusProduct. Read as 0xPPSSDD:
//
//	PP  security provider bits (0x04 antivirus, 0x02 auto-update, …)
//	SS  scanner: high nibble 0x1 on, 0x0 off, 0x2 snoozed, 0x3 expired;
//	    low nibble 0x1 when the product is Microsoft's own (Defender)
//	DD  definitions: 0x00 up to date, 0x10 out of date
//
// e.g. 397568 = 0x061100 is Defender on and current, 266240 = 0x041000 a
// third-party product on and current, 393472 = 0x060100 Defender off.
// Only "on" counts as enabled: a snoozed or expired product does not
// protect. Anything but 0x00 in DD counts as out of date, so an unknown
// value never reports more than the product claims. A zero state carries
// no information and reports nothing.
func decodeProductState(state uint32) productState {
	if state == 0 {
		return productState{}
	}
	scanner := byte(state >> 8)
	definitions := byte(state)
	return productState{
		Enabled:  scanner>>4 == 0x1,
		UpToDate: definitions == 0x00,
	}
}

// wscScript lists the antivirus products Windows Security Center knows;
// it lives here, beside parseWSC, because the two are one contract.
// The JSON is returned base64-encoded: PowerShell writes redirected output
// in the console's OEM code page (CP949 on Korean Windows), which would
// mangle product names such as 알약; base64 of UTF-8 is plain ASCII in any
// code page. -InputObject @(...) keeps a single product an array.
const wscScript = `$ErrorActionPreference = 'Stop'
$p = @(Get-CimInstance -Namespace root/SecurityCenter2 -ClassName AntiVirusProduct | Select-Object displayName, productState)
$j = ConvertTo-Json -InputObject $p -Compress
[Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($j))`

// wscProduct is one AntiVirusProduct as the PowerShell probe selects it.
type wscProduct struct {
	DisplayName  string `json:"displayName"`
	ProductState uint32 `json:"productState"`
}

// parseWSC decodes the Windows probe's output: base64 of UTF-8 JSON (see
// wscScript for why), holding an array of products or, from older
// PowerShell, a single object; empty output or null means no product.
func parseWSC(out []byte) ([]api.Antivirus, error) {
	raw, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(out)))
	if err != nil {
		return nil, fmt.Errorf("security center output: %w", err)
	}
	raw = bytes.TrimSpace(raw)
	var products []wscProduct
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return nil, nil
	case raw[0] == '{':
		var p wscProduct
		if err := json.Unmarshal(raw, &p); err != nil {
			return nil, fmt.Errorf("security center output: %w", err)
		}
		products = []wscProduct{p}
	default:
		if err := json.Unmarshal(raw, &products); err != nil {
			return nil, fmt.Errorf("security center output: %w", err)
		}
	}
	av := make([]api.Antivirus, 0, len(products))
	for _, p := range products {
		st := decodeProductState(p.ProductState)
		av = append(av, api.Antivirus{Name: p.DisplayName, Enabled: st.Enabled, UpToDate: st.UpToDate})
	}
	return av, nil
}

// encodePowerShell encodes a script for powershell.exe -EncodedCommand
// (base64 of UTF-16LE), which sidesteps Windows command-line quoting rules
// entirely.
func encodePowerShell(script string) string {
	u := utf16.Encode([]rune(script))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// windowsVersion formats the registry's CurrentVersion values as
// "Windows 11 Pro 23H2 (build 22631.3007)". ProductName still says
// "Windows 10" on Windows 11 (Microsoft never changed it); build 22000 and
// later is Windows 11, so the name is corrected from the build number.
func windowsVersion(productName, displayVersion string, build, ubr uint64) string {
	name := strings.TrimSpace(productName)
	if build >= 22000 {
		if rest, ok := strings.CutPrefix(name, "Windows 10"); ok {
			name = "Windows 11" + rest
		}
	}
	if name == "" {
		name = "Windows"
	}
	if displayVersion = strings.TrimSpace(displayVersion); displayVersion != "" {
		name += " " + displayVersion
	}
	if build != 0 {
		name += " (build " + strconv.FormatUint(build, 10)
		if ubr != 0 {
			name += "." + strconv.FormatUint(ubr, 10)
		}
		name += ")"
	}
	return name
}

// parseOSRelease returns a human name of the distribution from an
// os-release(5) file: PRETTY_NAME, else NAME VERSION_ID, else NAME.
// Values may be bare, single- or double-quoted (with backslash escapes).
func parseOSRelease(data []byte) string {
	vars := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		key, val, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		vars[strings.TrimSpace(key)] = unquoteShell(strings.TrimSpace(val))
	}
	switch {
	case vars["PRETTY_NAME"] != "":
		return vars["PRETTY_NAME"]
	case vars["NAME"] != "" && vars["VERSION_ID"] != "":
		return vars["NAME"] + " " + vars["VERSION_ID"]
	default:
		return vars["NAME"]
	}
}

// unquoteShell undoes the shell quoting os-release allows.
func unquoteShell(v string) string {
	if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
		return v[1 : len(v)-1]
	}
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
		var b strings.Builder
		for i := 0; i < len(v); i++ {
			if v[i] == '\\' && i+1 < len(v) {
				i++
			}
			b.WriteByte(v[i])
		}
		return b.String()
	}
	return v
}

// parseSwVers formats macOS sw_vers output ("ProductName:\tmacOS" …) as
// "macOS 14.4 (23E214)".
func parseSwVers(out []byte) string {
	vals := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok {
			vals[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	s := strings.TrimSpace(vals["ProductName"] + " " + vals["ProductVersion"])
	if b := vals["BuildVersion"]; b != "" && s != "" {
		s += " (" + b + ")"
	}
	return s
}

// plistString returns the string value of a top-level key of an XML
// property list (e.g. CFBundleShortVersionString of a bundle's Info.plist).
// Binary plists are not decoded: the caller then knows no version.
func plistString(r io.Reader, key string) (string, bool) {
	dec := xml.NewDecoder(r)
	depth, wantValue := 0, false
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			// <plist> is depth 1, its <dict> depth 2, the dict's entries depth 3.
			if depth != 3 {
				wantValue = false
				continue
			}
			var text string
			if err := dec.DecodeElement(&text, &t); err != nil {
				return "", false
			}
			depth-- // DecodeElement consumed the end element
			switch {
			case t.Name.Local == "key":
				wantValue = text == key
			case wantValue && t.Name.Local == "string":
				return strings.TrimSpace(text), true
			default:
				wantValue = false
			}
		case xml.EndElement:
			depth--
		}
	}
}

// matchName reports whether name matches one of the path.Match patterns.
// The name is compared in Unicode NFC: macOS file systems hand out Hangul
// names such as 알약.app decomposed (NFD), while the table is written
// composed.
func matchName(patterns []string, name string) bool {
	name = norm.NFC.String(name)
	for _, p := range patterns {
		if ok, err := path.Match(norm.NFC.String(p), name); err == nil && ok {
			return true
		}
	}
	return false
}

// parseUint parses a decimal registry string such as CurrentBuildNumber;
// anything else is 0 (unknown).
func parseUint(s string) uint64 {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0
	}
	return n
}
