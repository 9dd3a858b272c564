package store

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

func testUsers(t *testing.T, b *backend) {
	ctx := context.Background()
	clk := newClock()
	s := b.open(t, WithClock(clk.Now))
	t0 := clk.Now()

	hong := User{ID: "hong", DisplayName: "홍길동", Group: "정보통신과", PasswordHash: "$argon2id$x", MustChangePassword: true,
		Cert: CertBinding{Subject: "cn=홍길동()0001,ou=people,o=yessign,c=kr", Serial: "0x00:1A:2b"}}
	if err := s.AddUser(ctx, hong); err != nil {
		t.Fatalf("AddUser: %v", err)
	}
	if err := s.AddUser(ctx, User{ID: "hong"}); !errors.Is(err, ErrExists) {
		t.Errorf("AddUser(duplicate) = %v, want ErrExists", err)
	}
	if err := s.AddUser(ctx, User{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("AddUser(no ID) = %v, want ErrInvalid", err)
	}
	if err := s.AddUser(ctx, User{ID: "kim", Locked: true, LockReason: "left"}); err != nil {
		t.Fatal(err)
	}

	got, err := s.GetUser(ctx, "hong")
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	want := hong
	want.Cert.Serial = "1a2b"
	want.CreatedAt, want.UpdatedAt, want.PasswordChangedAt = t0, t0, t0
	if !reflect.DeepEqual(got, want) {
		t.Errorf("GetUser =\n%+v\nwant\n%+v", got, want)
	}
	if got.CreatedAt.Location() != time.UTC {
		t.Errorf("times not in UTC: %v", got.CreatedAt.Location())
	}

	kim, _ := s.GetUser(ctx, "kim")
	if !kim.Locked || !kim.LockedAt.Equal(t0) || kim.LockReason != "left" || !kim.PasswordChangedAt.IsZero() {
		t.Errorf("locked new user = %+v", kim)
	}

	us, err := s.ListUsers(ctx)
	if err != nil || len(us) != 2 || us[0].ID != "hong" || us[1].ID != "kim" {
		t.Errorf("ListUsers = %v, %v", us, err)
	}

	t1 := clk.Add(time.Hour)
	if err := s.SetProfile(ctx, "hong", "홍길동 주무관", "민원과"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPassword(ctx, "hong", "$argon2id$new", false); err != nil {
		t.Fatal(err)
	}
	got, _ = s.GetUser(ctx, "hong")
	if got.DisplayName != "홍길동 주무관" || got.Group != "민원과" || got.PasswordHash != "$argon2id$new" ||
		got.MustChangePassword || !got.PasswordChangedAt.Equal(t1) || !got.UpdatedAt.Equal(t1) || !got.CreatedAt.Equal(t0) {
		t.Errorf("after SetProfile+SetPassword: %+v", got)
	}
	if err := s.SetMustChangePassword(ctx, "hong", true); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.GetUser(ctx, "hong"); !got.MustChangePassword {
		t.Error("SetMustChangePassword(true) did not stick")
	}

	// Lock keeps the first LockedAt; unlock clears everything and the count.
	t2 := clk.Add(time.Hour)
	if _, _, err := s.RecordFailure(ctx, "hong", "", 0); err != nil {
		t.Fatal(err)
	}
	if err := s.LockUser(ctx, "hong", "security incident"); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Minute)
	if err := s.LockUser(ctx, "hong", "still"); err != nil {
		t.Fatal(err)
	}
	got, _ = s.GetUser(ctx, "hong")
	if !got.Locked || !got.LockedAt.Equal(t2) || got.LockReason != "still" || got.FailedAttempts != 1 {
		t.Errorf("after LockUser: %+v", got)
	}
	if err := s.UnlockUser(ctx, "hong"); err != nil {
		t.Fatal(err)
	}
	got, _ = s.GetUser(ctx, "hong")
	if got.Locked || !got.LockedAt.IsZero() || got.LockReason != "" || got.FailedAttempts != 0 {
		t.Errorf("after UnlockUser: %+v", got)
	}

	// Certificate binding.
	if err := s.BindCertificate(ctx, "hong", CertBinding{Serial: "XYZ"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("BindCertificate(bad serial) = %v", err)
	}
	if err := s.BindCertificate(ctx, "hong", CertBinding{}); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.GetUser(ctx, "hong"); !got.Cert.IsZero() {
		t.Errorf("binding not cleared: %+v", got.Cert)
	}
	first := CertBinding{Subject: "cn=a", Serial: "00FF"}
	bound, err := s.BindCertificateIfUnbound(ctx, "hong", first)
	if err != nil || bound != (CertBinding{Subject: "cn=a", Serial: "ff"}) {
		t.Errorf("BindCertificateIfUnbound(first) = %+v, %v", bound, err)
	}
	bound, err = s.BindCertificateIfUnbound(ctx, "hong", CertBinding{Subject: "cn=b"})
	if err != nil || bound != (CertBinding{Subject: "cn=a", Serial: "ff"}) {
		t.Errorf("BindCertificateIfUnbound(second) = %+v, %v; want the first binding", bound, err)
	}
	if _, err := s.BindCertificateIfUnbound(ctx, "hong", CertBinding{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("BindCertificateIfUnbound(empty) = %v", err)
	}
	if err := s.BindCertificate(ctx, "hong", CertBinding{Subject: "cn=c"}); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.GetUser(ctx, "hong"); got.Cert != (CertBinding{Subject: "cn=c"}) {
		t.Errorf("BindCertificate did not replace: %+v", got.Cert)
	}

	// Delete takes sessions and leases along, and reports the active ones.
	sess, _, err := s.CreateSession(ctx, Session{UserID: "hong", TokenHash: HashToken("t1"), ExpiresAt: clk.Now().Add(time.Hour)},
		CreateOptions{Pool: mustPrefix("10.0.0.0/24")})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AppendAudit(ctx, AuditEvent{Event: "login", UserID: "hong"}); err != nil {
		t.Fatal(err)
	}
	active, err := s.DeleteUser(ctx, "hong")
	if err != nil || len(active) != 1 || active[0].ID != sess.ID {
		t.Errorf("DeleteUser = %v, %v; want the one active session", active, err)
	}
	if _, err := s.GetUser(ctx, "hong"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetUser(deleted) = %v", err)
	}
	if _, err := s.GetSession(ctx, sess.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("session of deleted user: %v", err)
	}
	if ls, _ := s.Leases(ctx); len(ls) != 0 {
		t.Errorf("leases of deleted user remain: %v", ls)
	}
	if es, _ := s.ListAudit(ctx, AuditFilter{UserID: "hong"}); len(es) != 1 {
		t.Errorf("audit of deleted user: %v", es)
	}
	// The ID can be reused.
	if err := s.AddUser(ctx, User{ID: "hong"}); err != nil {
		t.Errorf("AddUser after delete: %v", err)
	}
}

func testUnknownUser(t *testing.T, b *backend) {
	ctx := context.Background()
	s := b.open(t)
	for name, f := range map[string]func() error{
		"GetUser":               func() error { _, err := s.GetUser(ctx, "nobody"); return err },
		"SetProfile":            func() error { return s.SetProfile(ctx, "nobody", "", "") },
		"SetPassword":           func() error { return s.SetPassword(ctx, "nobody", "h", true) },
		"SetMustChangePassword": func() error { return s.SetMustChangePassword(ctx, "nobody", true) },
		"LockUser":              func() error { return s.LockUser(ctx, "nobody", "") },
		"UnlockUser":            func() error { return s.UnlockUser(ctx, "nobody") },
		"BindCertificate":       func() error { return s.BindCertificate(ctx, "nobody", CertBinding{Subject: "cn=x"}) },
		"BindCertificateIfUnbound": func() error {
			_, err := s.BindCertificateIfUnbound(ctx, "nobody", CertBinding{Subject: "cn=x"})
			return err
		},
		"DeleteUser":    func() error { _, err := s.DeleteUser(ctx, "nobody"); return err },
		"ResetFailures": func() error { return s.ResetFailures(ctx, "nobody") },
		"RecordFailure": func() error { _, _, err := s.RecordFailure(ctx, "nobody", "", 5); return err },
		"CreateSession": func() error {
			_, _, err := s.CreateSession(ctx, Session{UserID: "nobody", TokenHash: "x", ExpiresAt: time.Now()}, CreateOptions{})
			return err
		},
	} {
		if err := f(); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s(unknown user) = %v, want ErrNotFound", name, err)
		}
	}
}
