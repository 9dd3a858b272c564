package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
)

func benchBackends(b *testing.B, f func(b *testing.B, be *backend)) {
	b.Run("sqlite", func(b *testing.B) { f(b, sqliteBackend) })
	b.Run("postgres", func(b *testing.B) { f(b, postgresBackend(b)) })
}

// BenchmarkAcquireLease/fresh: every acquisition is a new user taking a
// never-used address. /sticky: a returning user takes their address back and
// releases it again (two transactions per iteration), the daily pattern.
func BenchmarkAcquireLease(b *testing.B) {
	ctx := context.Background()
	benchBackends(b, func(b *testing.B, be *backend) {
		b.Run("fresh", func(b *testing.B) {
			s := be.open(b)
			pool := mustPrefix("10.0.0.0/8")
			i := 0
			for b.Loop() {
				if _, err := s.AcquireLease(ctx, fmt.Sprint("u", i), fmt.Sprint("s", i), pool, nil); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		b.Run("sticky", func(b *testing.B) {
			s := be.open(b)
			pool := mustPrefix("10.8.0.0/16")
			const users = 1000
			for i := range users {
				id := fmt.Sprint("s", i)
				if _, err := s.AcquireLease(ctx, fmt.Sprint("u", i), id, pool, nil); err != nil {
					b.Fatal(err)
				}
				if err := s.ReleaseLease(ctx, id); err != nil {
					b.Fatal(err)
				}
			}
			i := 0
			for b.Loop() {
				id := fmt.Sprint("b", i)
				if _, err := s.AcquireLease(ctx, fmt.Sprint("u", i%users), id, pool, nil); err != nil {
					b.Fatal(err)
				}
				if err := s.ReleaseLease(ctx, id); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	})
}

func BenchmarkRecordFailure(b *testing.B) {
	ctx := context.Background()
	benchBackends(b, func(b *testing.B, be *backend) {
		s := be.open(b)
		addUsers(b, s, "hong")
		for b.Loop() {
			if _, _, err := s.RecordFailure(ctx, "hong", "203.0.113.5", 0); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkLogin is the store's share of a login: one-session-per-user
// session creation with an address lease, then logout.
func BenchmarkLogin(b *testing.B) {
	ctx := context.Background()
	benchBackends(b, func(b *testing.B, be *backend) {
		s := be.open(b)
		const users = 1000
		for i := range users {
			addUsers(b, s, fmt.Sprint("u", i))
		}
		opt := CreateOptions{Single: true, Pool: mustPrefix("10.8.0.0/16"), Reserved: addrs("10.8.0.1")}
		i := 0
		for b.Loop() {
			sess, _, err := s.CreateSession(ctx, Session{UserID: fmt.Sprint("u", i%users), TokenHash: fmt.Sprint("t", i),
				ExpiresAt: time.Now().Add(time.Hour)}, opt)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.EndSession(ctx, sess.ID, api.EndLogout, time.Now()); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

func BenchmarkTouchSession(b *testing.B) {
	ctx := context.Background()
	benchBackends(b, func(b *testing.B, be *backend) {
		s := be.open(b)
		addUsers(b, s, "hong")
		sess, _, err := s.CreateSession(ctx, Session{UserID: "hong", TokenHash: "t", ExpiresAt: time.Now().Add(24 * time.Hour)}, CreateOptions{})
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := s.TouchSession(ctx, sess.ID, time.Now(), 10*time.Minute); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkReserveAttempt is the store's share of a login's lockout check.
// /reserve: the reservation alone (unlimited, so it always succeeds);
// /reserve+reset: a right password; /reserve+fail: a wrong one (unlimited,
// so it never locks).
func BenchmarkReserveAttempt(b *testing.B) {
	ctx := context.Background()
	benchBackends(b, func(b *testing.B, be *backend) {
		s := be.open(b)
		addUsers(b, s, "hong")
		reserve := func(b *testing.B) {
			if _, ok, err := s.ReserveAttempt(ctx, "hong", 0); err != nil || !ok {
				b.Fatal(ok, err)
			}
		}
		b.Run("reserve", func(b *testing.B) {
			for b.Loop() {
				reserve(b)
			}
		})
		b.Run("reserve+reset", func(b *testing.B) {
			for b.Loop() {
				reserve(b)
				if err := s.ResetFailures(ctx, "hong"); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("reserve+fail", func(b *testing.B) {
			for b.Loop() {
				reserve(b)
				if _, _, err := s.FailAttempt(ctx, "hong", 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// BenchmarkReserveSourceAttempt: /reserve alone (unlimited); /reserve+release
// as for a successful login.
func BenchmarkReserveSourceAttempt(b *testing.B) {
	ctx := context.Background()
	benchBackends(b, func(b *testing.B, be *backend) {
		s := be.open(b)
		now := time.Now()
		b.Run("reserve", func(b *testing.B) {
			for b.Loop() {
				if _, ok, _, err := s.ReserveSourceAttempt(ctx, "203.0.113.5", 15*time.Minute, 0, now); err != nil || !ok {
					b.Fatal(ok, err)
				}
			}
		})
		b.Run("reserve+release", func(b *testing.B) {
			for b.Loop() {
				if _, ok, _, err := s.ReserveSourceAttempt(ctx, "203.0.113.6", 15*time.Minute, 30, now); err != nil || !ok {
					b.Fatal(ok, err)
				}
				if err := s.ReleaseSourceAttempt(ctx, "203.0.113.6", now); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}
