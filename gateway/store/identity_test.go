package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestNormalizeIdentityNumber(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"900101-1234567", "9001011234567"},
		{"9001011234567", "9001011234567"},
		{"900-101-1234-567", "9001011234567"},
		{"900101-123456", ""},   // 12 digits
		{"900101-12345678", ""}, // 14 digits
		{"90010a-1234567", ""},  // not a digit
		{"900101 1234567", ""},  // only dashes are separators
		{"９００１０１-1234567", ""},  // full-width digits
		{"", ""},
		{"-------------", ""},
	} {
		got, err := NormalizeIdentityNumber(tt.in)
		if tt.want == "" {
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("NormalizeIdentityNumber(%q) = %q, %v; want ErrInvalid", tt.in, got, err)
			} else if len(tt.in) > 6 && strings.Contains(err.Error(), tt.in[:6]) {
				t.Errorf("error %q repeats the number", err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizeIdentityNumber(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func testIdentityNumber(t *testing.T, b *backend) {
	ctx := context.Background()
	s := b.open(t)
	const rrn, digits = "900101-1234567", "9001011234567"
	const issuer = "cn=yessignCA Class 2,ou=AccreditedCA,o=yessign,c=kr"

	if err := s.AddUser(ctx, User{ID: "hong", IdentityNumber: rrn}); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.GetUser(ctx, "hong"); u.IdentityNumber != digits {
		t.Errorf("stored identity number %q, want %q", u.IdentityNumber, digits)
	}
	if err := s.AddUser(ctx, User{ID: "bad", IdentityNumber: "12345"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("AddUser(bad identity number) = %v, want ErrInvalid", err)
	}
	if err := s.AddUser(ctx, User{ID: "both", IdentityNumber: rrn, Cert: CertBinding{Serial: "1", Issuer: issuer}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("AddUser(certificate and identity number) = %v, want ErrInvalid", err)
	}
	if _, err := s.GetUser(ctx, "both"); !errors.Is(err, ErrNotFound) {
		t.Errorf("refused user was stored: %v", err)
	}

	// SetIdentityNumber validates, and "" removes.
	addUsers(t, s, "kim")
	if err := s.SetIdentityNumber(ctx, "nobody", rrn); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetIdentityNumber(unknown) = %v, want ErrNotFound", err)
	}
	if err := s.SetIdentityNumber(ctx, "kim", "1234"); !errors.Is(err, ErrInvalid) {
		t.Errorf("SetIdentityNumber(bad) = %v, want ErrInvalid", err)
	}
	if err := s.SetIdentityNumber(ctx, "kim", "850505-2345678"); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.GetUser(ctx, "kim"); u.IdentityNumber != "8505052345678" {
		t.Errorf("after SetIdentityNumber: %q", u.IdentityNumber)
	}
	if err := s.SetIdentityNumber(ctx, "kim", ""); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.GetUser(ctx, "kim"); u.IdentityNumber != "" {
		t.Errorf("after SetIdentityNumber(\"\"): %q", u.IdentityNumber)
	}

	// The first-login binding records subject, serial and issuer and
	// clears the identity number in the same statement.
	first := CertBinding{Subject: "cn=홍길동()0001,ou=people,o=yessign,c=kr", Serial: "0x01:F4", Issuer: issuer}
	want := CertBinding{Subject: first.Subject, Serial: "1f4", Issuer: issuer}
	bound, err := s.BindCertificateIfUnbound(ctx, "hong", first)
	if err != nil || bound != want {
		t.Fatalf("BindCertificateIfUnbound = %+v, %v; want %+v", bound, err, want)
	}
	u, _ := s.GetUser(ctx, "hong")
	if u.Cert != want || u.IdentityNumber != "" {
		t.Errorf("after the first-login binding: cert %+v, identity number %q; want %+v and none", u.Cert, u.IdentityNumber, want)
	}
	// The losing binding gets the winner, issuer included.
	bound, err = s.BindCertificateIfUnbound(ctx, "hong", CertBinding{Serial: "2", Issuer: "cn=other"})
	if err != nil || bound != want {
		t.Errorf("second BindCertificateIfUnbound = %+v, %v; want %+v", bound, err, want)
	}
	// A bound account keeps no identity number; removing one is fine.
	if err := s.SetIdentityNumber(ctx, "hong", rrn); !errors.Is(err, ErrInvalid) {
		t.Errorf("SetIdentityNumber(bound account) = %v, want ErrInvalid", err)
	}
	if u, _ := s.GetUser(ctx, "hong"); u.IdentityNumber != "" {
		t.Errorf("bound account got an identity number")
	}
	if err := s.SetIdentityNumber(ctx, "hong", ""); err != nil {
		t.Errorf("SetIdentityNumber(bound account, \"\") = %v", err)
	}

	// Administrator binding: removing the binding keeps the number,
	// binding a certificate clears it.
	if err := s.BindCertificate(ctx, "hong", CertBinding{}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetIdentityNumber(ctx, "hong", rrn); err != nil {
		t.Fatalf("SetIdentityNumber after unbinding: %v", err)
	}
	if err := s.BindCertificate(ctx, "hong", CertBinding{}); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.GetUser(ctx, "hong"); u.IdentityNumber != digits {
		t.Errorf("removing no binding cleared the identity number: %q", u.IdentityNumber)
	}
	if err := s.BindCertificate(ctx, "hong", CertBinding{Subject: "cn=x", Serial: "AB", Issuer: issuer}); err != nil {
		t.Fatal(err)
	}
	u, _ = s.GetUser(ctx, "hong")
	if u.IdentityNumber != "" || u.Cert != (CertBinding{Subject: "cn=x", Serial: "ab", Issuer: issuer}) {
		t.Errorf("after BindCertificate: cert %+v, identity number %q", u.Cert, u.IdentityNumber)
	}
	if us, _ := s.ListUsers(ctx); len(us) != 2 || us[0].Cert.Issuer != issuer {
		t.Errorf("ListUsers lost the issuer: %+v", us)
	}
}

// A database created by the previous schema (version 2) keeps its accounts
// through the migration, with no issuer and no identity number.
func testMigrateToV3(t *testing.T, b *backend) {
	ctx := context.Background()
	dsn := b.newDSN(t)
	var raw *sql.DB
	var err error
	path := strings.TrimPrefix(dsn, "sqlite:")
	if b.name == "postgres" {
		raw, err = sql.Open("pgx", dsn)
	} else {
		raw, err = sql.Open("sqlite", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	c := conn{q: raw, pg: b.name == "postgres"}
	ms, err := migrations(Backend(b.name))
	if err != nil || len(ms) < 3 {
		t.Fatalf("migrations: %d, %v", len(ms), err)
	}
	if _, err := c.exec(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms[:2] {
		if _, err := c.exec(ctx, m.sql); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
		if _, err := c.exec(ctx, `INSERT INTO schema_migrations VALUES (?, 0)`, m.version); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.exec(ctx, `INSERT INTO users (user_id, cert_subject, cert_serial, created_at, updated_at)
		VALUES ('hong', 'cn=hong', '1f4', 1, 1)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if b.name != "postgres" {
		os.Chmod(path, 0o600) // created under the test's umask
	}

	s := b.openDSN(t, dsn)
	if v, err := s.SchemaVersion(ctx); err != nil || v != len(ms) {
		t.Errorf("SchemaVersion = %d, %v; want %d", v, err, len(ms))
	}
	u, err := s.GetUser(ctx, "hong")
	if err != nil || u.Cert != (CertBinding{Subject: "cn=hong", Serial: "1f4"}) || u.IdentityNumber != "" {
		t.Errorf("migrated user = %+v, %v", u, err)
	}
	if _, ok, _, err := s.ReserveSourceAttempt(ctx, "192.0.2.1", 60e9, 1, u.CreatedAt); err != nil || !ok {
		t.Errorf("source_attempts after migration: %v, %v", ok, err)
	}
}
