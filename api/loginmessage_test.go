package api

import (
	"bytes"
	"strings"
	"testing"
)

func goodBinding() LoginBinding {
	return LoginBinding{GatewayID: "svpn-gateway-1", UserID: "kim01", WGPublicKey: "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=",
		Challenge: "AQAAAABpK3xAq80-_w", ChannelBinding: bytes.Repeat([]byte{0xab}, 32)}
}

// TestLoginMessageFormat pins the exact signed bytes: gateways and clients
// of different versions must agree on them byte for byte.
func TestLoginMessageFormat(t *testing.T) {
	got, err := goodBinding().Message()
	if err != nil {
		t.Fatal(err)
	}
	want := "SVPN-LOGIN-V2\n" +
		"gateway_id=svpn-gateway-1\n" +
		"user_id=kim01\n" +
		"wg_public_key=xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\n" +
		"challenge=AQAAAABpK3xAq80-_w\n" +
		"tls_exporter=q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s\n"
	if string(got) != want {
		t.Fatalf("message\n%q\nwant\n%q", got, want)
	}
}

// TestLoginMessageRefusesServerText: nothing a gateway controls can turn the
// signed bytes into text of its choosing, and nothing can break the framing.
func TestLoginMessageRefusesServerText(t *testing.T) {
	for name, mutate := range map[string]func(*LoginBinding){
		"challenge with a newline":      func(b *LoginBinding) { b.Challenge = "abc\nuser_id=admin" },
		"challenge with prose":          func(b *LoginBinding) { b.Challenge = "I approve the transfer of 10,000,000 KRW" },
		"challenge too long":            func(b *LoginBinding) { b.Challenge = strings.Repeat("A", MaxChallengeLen+1) },
		"empty challenge":               func(b *LoginBinding) { b.Challenge = "" },
		"challenge in standard base64":  func(b *LoginBinding) { b.Challenge = "ab+/" },
		"gateway ID with a space":       func(b *LoginBinding) { b.GatewayID = "gw 1" },
		"gateway ID with a newline":     func(b *LoginBinding) { b.GatewayID = "gw\n1" },
		"empty gateway ID":              func(b *LoginBinding) { b.GatewayID = "" },
		"gateway ID too long":           func(b *LoginBinding) { b.GatewayID = strings.Repeat("g", 65) },
		"user ID with a newline":        func(b *LoginBinding) { b.UserID = "kim\n01" },
		"user ID with a line separator": func(b *LoginBinding) { b.UserID = "kim\u202801" },
		"empty user ID":                 func(b *LoginBinding) { b.UserID = "" },
		"WireGuard key not 32 bytes":    func(b *LoginBinding) { b.WGPublicKey = "AAAA" },
		"WireGuard key not base64":      func(b *LoginBinding) { b.WGPublicKey = "not a key" },
		"no channel binding":            func(b *LoginBinding) { b.ChannelBinding = nil },
		"short channel binding":         func(b *LoginBinding) { b.ChannelBinding = make([]byte, 16) },
	} {
		b := goodBinding()
		mutate(&b)
		if msg, err := b.Message(); err == nil || CodeOf(err) != CodeBadRequest {
			t.Errorf("%s: signed %q (err %v)", name, msg, err)
		}
	}
}

// TestLoginMessageDistinct: every field changes the signed bytes.
func TestLoginMessageDistinct(t *testing.T) {
	base, _ := goodBinding().Message()
	for name, mutate := range map[string]func(*LoginBinding){
		"gateway":   func(b *LoginBinding) { b.GatewayID = "svpn-gateway-2" },
		"user":      func(b *LoginBinding) { b.UserID = "kim02" },
		"key":       func(b *LoginBinding) { b.WGPublicKey = "yTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=" },
		"challenge": func(b *LoginBinding) { b.Challenge = "AQAAAABpK3xAq80-_x" },
		"binding":   func(b *LoginBinding) { b.ChannelBinding = bytes.Repeat([]byte{0xac}, 32) },
	} {
		b := goodBinding()
		mutate(&b)
		m, err := b.Message()
		if err != nil || bytes.Equal(m, base) {
			t.Errorf("%s: same message or error %v", name, err)
		}
	}
}
