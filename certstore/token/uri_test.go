package token

import (
	"bytes"
	"strings"
	"testing"

	"github.com/opensvpn/svpn/api"
)

func TestParseURI(t *testing.T) {
	u, err := ParseURI("pkcs11:token=%ED%99%8D%EA%B8%B8%EB%8F%99;manufacturer=SoftHSM%20project;serial=0123abcd;id=%01%A0;object=sign;type=cert?module-path=/usr/lib/softhsm/libsofthsm2.so")
	if err != nil {
		t.Fatal(err)
	}
	if u.Token != "홍길동" || u.Manufacturer != "SoftHSM project" || u.Serial != "0123abcd" || !bytes.Equal(u.ID, []byte{1, 0xa0}) ||
		u.Object != "sign" || u.Type != "cert" || u.ModulePath != "/usr/lib/softhsm/libsofthsm2.so" {
		t.Fatalf("%+v", u)
	}
	// Canonical form round-trips.
	again, err := ParseURI(u.String())
	if err != nil || again.String() != u.String() {
		t.Fatalf("round trip: %s -> %v %v", u, again, err)
	}
	if !strings.Contains(u.String(), "?module-path=/usr/lib/softhsm/libsofthsm2.so") {
		t.Errorf("module path: %s", u)
	}
	if !strings.Contains(u.String(), "id=%01%A0") {
		t.Errorf("id not percent-encoded: %s", u)
	}
	// The example form, raw Hangul and an empty URI.
	for _, s := range []string{"pkcs11:token=홍길동;id=%01", "pkcs11:", "PKCS11:token=a", "pkcs11:slot-id=3;x-vendor=1?x-q=2"} {
		if _, err := ParseURI(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	for _, s := range []string{
		"", "file:/x", "pkcs11:token", "pkcs11:token=a;token=b", "pkcs11:bogus=1", "pkcs11:id=%0", "pkcs11:id=%zz",
		"pkcs11:token=a b", "pkcs11:token=%0A", "pkcs11:type=key", "pkcs11:slot-id=x", "pkcs11:token=a?pin-value=1234",
		"pkcs11:token=a?pin-source=file:/p", "pkcs11:token=a?module-path=/a&module-path=/b", "pkcs11:token=%FF",
		"pkcs11:token=a&b", "pkcs11:" + strings.Repeat("a", maxURILen),
	} {
		if _, err := ParseURI(s); api.CodeOf(err) != api.CodeTokenURIInvalid {
			t.Errorf("%q: %v, want token_uri_invalid", s, err)
		}
	}
}

func TestURIMatches(t *testing.T) {
	u, _ := ParseURI("pkcs11:token=demo;id=%01")
	if !u.MatchesToken(TokenInfo{Label: "demo", Serial: "x"}) || u.MatchesToken(TokenInfo{Label: "other"}) {
		t.Error("token match")
	}
	if !u.MatchesObject("any", []byte{1}) || u.MatchesObject("any", []byte{2}) {
		t.Error("object match")
	}
	pub, _ := ParseURI("pkcs11:id=%01;type=public")
	if pub.MatchesObject("x", []byte{1}) {
		t.Error("type=public matched a certificate")
	}
}

// FuzzParseURI: any input is refused with token_uri_invalid or parses to a
// URI whose canonical form parses to the same canonical form.
func FuzzParseURI(f *testing.F) {
	for _, s := range []string{"pkcs11:token=홍길동;id=%01", "pkcs11:token=a?module-path=/x", "pkcs11:id=%", "pkcs11:;", "pkcs11:slot-id=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseURI(s)
		if err != nil {
			if api.CodeOf(err) != api.CodeTokenURIInvalid {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		c := u.String()
		u2, err := ParseURI(c)
		if err != nil {
			t.Fatalf("canonical %q of %q does not parse: %v", c, s, err)
		}
		if u2.String() != c {
			t.Fatalf("canonical form unstable: %q -> %q", c, u2.String())
		}
	})
}
