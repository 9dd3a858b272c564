package mobileid

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"strings"
	"testing"
	"time"
)

var trx = strings.Repeat("a", TrxCodeLen)

func TestRequestRoundTripAndLength(t *testing.T) {
	r := NewRequest(trx, "https://vpn.seoul.go.kr:8443")
	s, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if len(s) > MaxQRLen {
		t.Fatalf("QR text of %d characters", len(s))
	}
	got, err := ParseRequest(s)
	if err != nil || got != r {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	// A host too long for a readable QR is refused when encoding.
	if _, err := NewRequest(trx, "https://"+strings.Repeat("a", 250)+".go.kr").Encode(); err == nil {
		t.Fatal("a QR text over 300 characters was encoded")
	}
}

func TestParseRequestRefuses(t *testing.T) {
	good, _ := NewRequest(trx, "https://gw.example:8443").Encode()
	for name, text := range map[string]string{
		"http host":        strings.Replace(good, "https://", "http://", 1),
		"path in host":     strings.Replace(good, "gw.example:8443", "gw.example:8443/x", 1),
		"userinfo":         strings.Replace(good, "gw.example", "a@gw.example", 1),
		"short trxcode":    strings.Replace(good, trx, "abc", 1),
		"bad trx alphabet": strings.Replace(good, trx, strings.Repeat("!", TrxCodeLen), 1),
		"other cmd":        strings.Replace(good, `"cmd":"200"`, `"cmd":"310"`, 1),
		"unknown field":    strings.Replace(good, `{`, `{"x":1,`, 1),
		"too long":         good + strings.Repeat(" ", MaxQRLen),
		"not JSON":         "https://gw.example/?trx=" + trx,
	} {
		if _, err := ParseRequest(text); err == nil {
			t.Errorf("%s: accepted %q", name, text)
		}
	}
}

func TestHolderDID(t *testing.T) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	did, err := HolderDID(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := HolderKey(did)
	if err != nil || !pub.Equal(&k.PublicKey) {
		t.Fatalf("round trip: %v", err)
	}
	k384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	d384, _ := HolderDID(&k384.PublicKey)
	for _, bad := range []string{d384, "did:web:example", "did:jwk:!!", "did:jwk:e30", did + strings.Repeat("A", maxDIDLen)} {
		if _, err := HolderKey(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func FuzzParseRequest(f *testing.F) {
	good, _ := NewRequest(trx, "https://gw.example:8443").Encode()
	f.Add(good)
	f.Add(`{"type":"mip"}`)
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRequest(s)
		if err != nil {
			return
		}
		if CheckHost(r.Host) != nil || CheckTrxCode(r.TrxCode) != nil || len(s) > MaxQRLen {
			t.Fatalf("accepted a bad request %q", s)
		}
	})
}

func FuzzParsePresentation(f *testing.F) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	vp, _ := Present(k, "x.y.z", &Profile{Nonce: "n", ShortCode: "1234"}, time.Now())
	f.Add(vp)
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePresentation(s)
		if err != nil {
			return
		}
		if _, err := HolderKey(p.Issuer); err != nil {
			t.Fatalf("accepted a presentation without a holder key: %q", s)
		}
	})
}
