package store

import (
	"context"
	"errors"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestNormalizeSerial(t *testing.T) {
	tests := []struct {
		in, want string
		err      bool
	}{
		{in: "1a2b", want: "1a2b"},
		{in: "0x1A2B", want: "1a2b"},
		{in: "00:1a:2b", want: "1a2b"},
		{in: " 1A 2B ", want: "1a2b"},
		{in: "1a-2b", want: "1a2b"},
		{in: "0", want: "0"},
		{in: "0000", want: "0"},
		{in: strings.Repeat("f", 64), want: strings.Repeat("f", 64)},
		{in: "00" + strings.Repeat("f", 64), want: strings.Repeat("f", 64)},
		{in: "", err: true},
		{in: "0x", err: true},
		{in: "::", err: true},
		{in: "xyz", err: true},
		{in: "1a2g", err: true},
		{in: "-1a", want: "1a"}, // a dash is a separator, not a sign
		{in: strings.Repeat("f", 65), err: true},
	}
	for _, tt := range tests {
		got, err := NormalizeSerial(tt.in)
		if tt.err {
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("NormalizeSerial(%q) = %q, %v; want ErrInvalid", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizeSerial(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	// The stored form is what crypto/x509 gives for a certificate.
	n, _ := new(big.Int).SetString("00ABCDEF0123", 16)
	if got, _ := NormalizeSerial("00:AB:CD:EF:01:23"); got != n.Text(16) {
		t.Errorf("NormalizeSerial = %q, x509 gives %q", got, n.Text(16))
	}
}

func testRevocations(t *testing.T, b *backend) {
	ctx := context.Background()
	clk := newClock()
	s := b.open(t, WithClock(clk.Now))
	const yessign = "CN=yessignCA Class 2,OU=AccreditedCA,O=yessign,C=KR"
	const gpki = "CN=CA134100031,OU=GPKI,O=Government of Korea,C=KR"
	t0 := clk.Now()
	if err := s.RevokeCertificate(ctx, Revocation{Serial: "00:1A:2B", Issuer: yessign, Reason: "keyCompromise"}); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Hour)
	if err := s.RevokeCertificate(ctx, Revocation{Serial: "ff", Reason: "lost token", RevokedAt: t0.Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	// Again: the first record stays.
	if err := s.RevokeCertificate(ctx, Revocation{Serial: "1a2b", Issuer: yessign, Reason: "other"}); err != nil {
		t.Errorf("revoking twice = %v", err)
	}
	if err := s.RevokeCertificate(ctx, Revocation{Serial: "zz"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("RevokeCertificate(bad serial) = %v", err)
	}
	tests := []struct {
		serial, issuer string
		want           bool
	}{
		{"1a2b", yessign, true},
		{"0x001A2B", yessign, true},
		{"1a2b", gpki, false}, // same serial from another CA
		{"1a2c", yessign, false},
		{"ff", gpki, true}, // revoked for any issuer
		{"ff", yessign, true},
		{"ff", "", true},
	}
	for _, tt := range tests {
		if got, err := s.IsRevoked(ctx, tt.serial, tt.issuer); err != nil || got != tt.want {
			t.Errorf("IsRevoked(%s, %s) = %v, %v; want %v", tt.serial, tt.issuer, got, err, tt.want)
		}
	}
	if _, err := s.IsRevoked(ctx, "", yessign); !errors.Is(err, ErrInvalid) {
		t.Errorf("IsRevoked(empty) = %v", err)
	}
	rs, err := s.ListRevoked(ctx)
	want := []Revocation{
		{Serial: "ff", Reason: "lost token", RevokedAt: t0.Add(2 * time.Hour)},
		{Serial: "1a2b", Issuer: yessign, Reason: "keyCompromise", RevokedAt: t0},
	}
	if err != nil || !reflect.DeepEqual(rs, want) {
		t.Errorf("ListRevoked = %+v, %v\nwant %+v", rs, err, want)
	}
}
