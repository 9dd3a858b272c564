package wgkey

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// Vectors: the first is Alice's key pair from RFC 7748 section 6.1; the
// second was made once on the development machine with
// `wg genkey | tee priv | wg pubkey` (wireguard-tools v1.0.20210914).
var vectors = []struct{ priv, pub string }{
	{"dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=", "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo="},
	{"OB4hxQjbFYMFB1XTIXOJLXFglVlTh7J7OtWCz5sVO2o=", "ovrfPtVJDkv32EIjqDjMy8ivBohWbZ4RTzeKu4P2pRg="},
}

func TestPublicVectors(t *testing.T) {
	for _, v := range vectors {
		priv, err := ParsePrivate(v.priv)
		if err != nil {
			t.Fatalf("ParsePrivate(%q): %v", v.priv, err)
		}
		if got := priv.Public().String(); got != v.pub {
			t.Errorf("Public() of %s = %s, want %s", v.priv, got, v.pub)
		}
	}
	// RFC 7748 gives Alice's public key in hex.
	priv, _ := ParsePrivate(vectors[0].priv)
	if got, want := priv.Public().Hex(), "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"; got != want {
		t.Errorf("Hex() = %s, want %s", got, want)
	}
}

// TestAgainstWG compares with the wg tool itself when it is installed:
// wg must accept our private keys and derive the same public keys.
func TestAgainstWG(t *testing.T) {
	wg, err := exec.LookPath("wg")
	if err != nil {
		t.Skip("wg (wireguard-tools) not installed; the hard-coded vectors cover this")
	}
	for range 5 {
		priv, err := NewPrivate()
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(wg, "pubkey")
		cmd.Stdin = strings.NewReader(priv.Base64Secret() + "\n")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("wg pubkey: %v", err)
		}
		if got, want := priv.Public().String(), strings.TrimSpace(string(out)); got != want {
			t.Fatalf("Public() = %s, wg pubkey = %s", got, want)
		}
	}
	// And a key wg generated must parse and agree too.
	out, err := exec.Command(wg, "genkey").Output()
	if err != nil {
		t.Fatalf("wg genkey: %v", err)
	}
	priv, err := ParsePrivate(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("ParsePrivate(wg genkey): %v", err)
	}
	if priv.Base64Secret() != strings.TrimSpace(string(out)) {
		t.Fatal("Base64Secret does not give back what wg genkey printed")
	}
	cmd := exec.Command(wg, "pubkey")
	cmd.Stdin = bytes.NewReader(out)
	pub, err := cmd.Output()
	if err != nil {
		t.Fatalf("wg pubkey: %v", err)
	}
	if priv.Public().String() != strings.TrimSpace(string(pub)) {
		t.Fatalf("public keys differ for a wg-made key")
	}
}

func TestNewPrivate(t *testing.T) {
	a, err := NewPrivate()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewPrivate()
	if a.Equal(b) || a.IsZero() {
		t.Fatal("NewPrivate returned a repeated or zero key")
	}
	if !a.Equal(a) {
		t.Fatal("a key is not Equal to itself")
	}
	if k := a.bytes(); k[0]&7 != 0 || k[31]&128 != 0 || k[31]&64 == 0 {
		t.Fatal("key not clamped")
	}
	if a.Public() == b.Public() {
		t.Fatal("different private keys gave the same public key")
	}
}

func TestParseErrors(t *testing.T) {
	good := vectors[1].priv
	for _, s := range []string{
		"",
		good[:43],               // too short
		good + "=",              // too long
		strings.Repeat("A", 44), // no padding
		good[:42] + "!=",        // bad character
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=", // non-zero trailing bits
		"b3JhbmdlIG9yYW5nZSBvcmFuZ2Ugb3JhbmdlIG9yYQ==", // 31 bytes
		strings.Replace(good, "/", "_", 1) + "",        // URL alphabet is not wg's
	} {
		if s == good {
			continue
		}
		k, err := ParsePublic(s)
		if err == nil {
			t.Errorf("ParsePublic(%q) = %v, want error", s, k)
			continue
		}
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error repeats the input: %v", err)
		}
		if _, perr := ParsePrivate(s); perr == nil || perr.Error() != err.Error() {
			t.Errorf("ParsePrivate(%q) error = %v, want %v", s, perr, err)
		}
	}
}

func TestZeroAndHex(t *testing.T) {
	var z Public
	if !z.IsZero() {
		t.Fatal("zero key not IsZero")
	}
	if !(Private{}).IsZero() {
		t.Fatal("zero Private not IsZero")
	}
	if zp, _ := ParsePrivate(z.String()); !zp.IsZero() || !zp.Equal(Private{}) {
		t.Fatal("all-zero Private not IsZero")
	}
	if z.String() != "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" {
		t.Fatalf("zero String() = %s", z)
	}
	k, _ := ParsePublic(vectors[1].pub)
	if k.IsZero() {
		t.Fatal("non-zero key IsZero")
	}
	if len(k.Hex()) != 64 || strings.ToLower(k.Hex()) != k.Hex() {
		t.Fatalf("Hex() = %q, want 64 lower-case hex digits", k.Hex())
	}
	p, _ := ParsePrivate(vectors[0].priv)
	if got, want := p.UAPIHex(), "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"; got != want {
		t.Fatalf("UAPIHex() = %s, want %s (RFC 7748 section 6.1)", got, want)
	}
	if p.Base64Secret() != vectors[0].priv {
		t.Fatalf("Base64Secret() does not round-trip")
	}
}

func TestJSON(t *testing.T) {
	type wire struct {
		Key Public `json:"wg_public_key"`
	}
	k, _ := ParsePublic(vectors[0].pub)
	b, err := json.Marshal(wire{k})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"wg_public_key":"` + vectors[0].pub + `"}`; string(b) != want {
		t.Fatalf("json = %s, want %s", b, want)
	}
	var back wire
	if err := json.Unmarshal(b, &back); err != nil || back.Key != k {
		t.Fatalf("round trip: %v, %v", back.Key, err)
	}
	for _, bad := range []string{`{"wg_public_key":"nope"}`, `{"wg_public_key":""}`, `{"wg_public_key":42}`} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("Unmarshal(%s) succeeded", bad)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, v := range vectors {
		f.Add(v.priv)
		f.Add(v.pub)
	}
	f.Add("")
	f.Add("====")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParsePublic(s)
		p, perr := ParsePrivate(s)
		if (err == nil) != (perr == nil) {
			t.Fatalf("ParsePublic and ParsePrivate disagree on %q: %v, %v", s, err, perr)
		}
		if err != nil {
			return
		}
		// Anything accepted must print back exactly: one spelling per key.
		if k.String() != s || p.Base64Secret() != s {
			t.Fatalf("ParsePublic(%q).String() = %q, ParsePrivate(...).Base64Secret() = %q", s, k.String(), p.Base64Secret())
		}
	})
}
