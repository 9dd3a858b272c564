package token

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/opensvpn/svpn/api"
)

// URI is a PKCS#11 URI (RFC 7512) naming a token, and on it a certificate
// and its key: pkcs11:token=홍길동;id=%01. Empty fields match anything.
type URI struct {
	Token        string // CK_TOKEN_INFO label
	Manufacturer string // CK_TOKEN_INFO manufacturerID
	Serial       string // CK_TOKEN_INFO serialNumber
	Model        string // CK_TOKEN_INFO model
	Object       string // CKA_LABEL
	ID           []byte // CKA_ID
	Type         string // cert, private, public, data, secret-key
	SlotID       *uint  // slot-id

	LibraryManufacturer string
	LibraryDescription  string
	LibraryVersion      string
	SlotDescription     string
	SlotManufacturer    string

	ModuleName string // query: module-name
	ModulePath string // query: module-path
}

// maxURILen bounds what is parsed: real URIs are a few hundred bytes.
const maxURILen = 4096

var objectTypes = []string{"cert", "data", "private", "public", "secret-key"}

// IsURI reports whether s is meant as a PKCS#11 URI (the scheme is
// case-insensitive).
func IsURI(s string) bool { return len(s) >= 7 && strings.EqualFold(s[:7], "pkcs11:") }

// ParseURI parses a pkcs11: URI. Unknown standard attributes, repeated
// attributes, malformed percent-encoding, control characters and a PIN in
// the URI (pin-value, pin-source: it would end up in shell history and
// process lists) are refused with token_uri_invalid; vendor attributes
// (x-…) are ignored, as RFC 7512 allows.
func ParseURI(s string) (*URI, error) {
	bad := func(format string, args ...any) (*URI, error) {
		return nil, api.Errorf(api.CodeTokenURIInvalid, "pkcs11 URI: "+format, args...)
	}
	if len(s) > maxURILen {
		return bad("longer than %d bytes", maxURILen)
	}
	if !IsURI(s) {
		return bad("does not start with pkcs11:")
	}
	rest := s[7:]
	path, query, hasQuery := strings.Cut(rest, "?")
	u := &URI{}
	seen := map[string]bool{}
	if path != "" {
		for attr := range strings.SplitSeq(path, ";") {
			name, raw, ok := strings.Cut(attr, "=")
			if !ok || name == "" {
				return bad("path attribute %q is not name=value", attr)
			}
			if seen[name] {
				return bad("attribute %q given twice", name)
			}
			seen[name] = true
			v, err := unescape(raw, "&")
			if err != nil {
				return bad("%s: %v", name, err)
			}
			switch name {
			case "token":
				u.Token, err = text(v)
			case "manufacturer":
				u.Manufacturer, err = text(v)
			case "serial":
				u.Serial, err = text(v)
			case "model":
				u.Model, err = text(v)
			case "object":
				u.Object, err = text(v)
			case "id":
				u.ID = v
			case "type":
				u.Type = string(v)
				if !slices.Contains(objectTypes, u.Type) {
					return bad("type %q is none of %s", u.Type, strings.Join(objectTypes, ", "))
				}
			case "slot-id":
				n, perr := strconv.ParseUint(string(v), 10, 32)
				if perr != nil {
					return bad("slot-id %q is not a number", v)
				}
				id := uint(n)
				u.SlotID = &id
			case "library-manufacturer":
				u.LibraryManufacturer, err = text(v)
			case "library-description":
				u.LibraryDescription, err = text(v)
			case "library-version":
				u.LibraryVersion, err = text(v)
			case "slot-description":
				u.SlotDescription, err = text(v)
			case "slot-manufacturer":
				u.SlotManufacturer, err = text(v)
			default:
				if !strings.HasPrefix(name, "x-") {
					return bad("unknown attribute %q", name)
				}
			}
			if err != nil {
				return bad("%s: %v", name, err)
			}
		}
	}
	if hasQuery && query != "" {
		for attr := range strings.SplitSeq(query, "&") {
			name, raw, ok := strings.Cut(attr, "=")
			if !ok || name == "" {
				return bad("query attribute %q is not name=value", attr)
			}
			if seen["?"+name] {
				return bad("attribute %q given twice", name)
			}
			seen["?"+name] = true
			v, err := unescape(raw, "")
			if err != nil {
				return bad("%s: %v", name, err)
			}
			switch name {
			case "module-name":
				u.ModuleName, err = text(v)
			case "module-path":
				u.ModulePath, err = text(v)
			case "pin-value", "pin-source":
				return bad("%s: give the PIN when asked (or on standard input), not in the URI", name)
			default:
				if !strings.HasPrefix(name, "x-") {
					return bad("unknown query attribute %q", name)
				}
			}
			if err != nil {
				return bad("%s: %v", name, err)
			}
		}
	}
	return u, nil
}

type uriError string

func (e uriError) Error() string { return string(e) }

// unescape decodes percent-encoding. Characters a URI may carry as they
// are pass; control characters, spaces and the separators of the other
// component must be encoded. Raw UTF-8 (a Hangul label typed by hand) is
// accepted and kept.
func unescape(s, alsoRefused string) ([]byte, error) {
	var out bytes.Buffer
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) {
				return nil, uriError("truncated %-escape")
			}
			n, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				return nil, uriError("bad %-escape " + strconv.Quote(s[i:i+3]))
			}
			out.WriteByte(byte(n))
			i += 2
		case c < 0x21 || c == 0x7f || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' || c == '`' || c == '{' || c == '}' || c == '#' || c == ';' || c == '?' || strings.IndexByte(alsoRefused, c) >= 0:
			return nil, uriError("character " + strconv.QuoteRune(rune(c)) + " must be percent-encoded")
		default:
			out.WriteByte(c)
		}
	}
	return out.Bytes(), nil
}

// text checks a decoded attribute that is text: UTF-8 without control
// characters.
func text(b []byte) (string, error) {
	if !utf8.Valid(b) {
		return "", uriError("not UTF-8")
	}
	for _, r := range string(b) {
		if r < 0x20 || r == 0x7f {
			return "", uriError("control character")
		}
	}
	return string(b), nil
}

// String formats u canonically: path attributes in RFC 7512's order,
// everything but unreserved characters percent-encoded, id always.
func (u *URI) String() string {
	var b strings.Builder
	b.WriteString("pkcs11:")
	sep := ""
	add := func(name, v string, always bool) {
		if v == "" && !always {
			return
		}
		b.WriteString(sep + name + "=" + escape([]byte(v), false))
		sep = ";"
	}
	add("library-manufacturer", u.LibraryManufacturer, false)
	add("library-description", u.LibraryDescription, false)
	add("library-version", u.LibraryVersion, false)
	add("slot-manufacturer", u.SlotManufacturer, false)
	add("slot-description", u.SlotDescription, false)
	if u.SlotID != nil {
		add("slot-id", strconv.FormatUint(uint64(*u.SlotID), 10), false)
	}
	add("model", u.Model, false)
	add("manufacturer", u.Manufacturer, false)
	add("serial", u.Serial, false)
	add("token", u.Token, false)
	add("object", u.Object, false)
	if u.ID != nil {
		b.WriteString(sep + "id=" + escape(u.ID, true))
		sep = ";"
	}
	add("type", u.Type, false)
	q := "?"
	for _, kv := range [][2]string{{"module-name", u.ModuleName}, {"module-path", u.ModulePath}} {
		if kv[1] != "" {
			// RFC 7512 lets "/" stand as it is in the query: module
			// paths stay readable.
			b.WriteString(q + kv[0] + "=" + strings.ReplaceAll(escape([]byte(kv[1]), false), "%2F", "/"))
			q = "&"
		}
	}
	return b.String()
}

func escape(v []byte, all bool) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for _, c := range v {
		if !all && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// MatchesToken reports whether the token described by info is one u names.
func (u *URI) MatchesToken(info TokenInfo) bool {
	return (u.Token == "" || u.Token == info.Label) &&
		(u.Manufacturer == "" || u.Manufacturer == info.Manufacturer) &&
		(u.Serial == "" || u.Serial == info.Serial) &&
		(u.Model == "" || u.Model == info.Model) &&
		(u.SlotID == nil || *u.SlotID == info.Slot)
}

// MatchesObject reports whether a certificate with label and id is one u
// names (type, when given, must be cert: the key is found by its CKA_ID).
func (u *URI) MatchesObject(label string, id []byte) bool {
	return (u.Object == "" || u.Object == label) && (u.ID == nil || bytes.Equal(u.ID, id)) &&
		(u.Type == "" || u.Type == "cert" || u.Type == "private")
}
