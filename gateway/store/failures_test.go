package store

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"
)

func testFailures(t *testing.T, b *backend) {
	ctx := context.Background()
	clk := newClock()
	s := b.open(t, WithClock(clk.Now))
	for _, id := range []string{"hong", "kim"} {
		if err := s.AddUser(ctx, User{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	t0 := clk.Now()
	steps := []struct {
		user       string
		max        int
		wantCount  int
		wantLocked bool
	}{
		{"hong", 5, 1, false},
		{"hong", 5, 2, false},
		{"hong", 5, 3, false},
		{"hong", 5, 4, false},
		{"hong", 5, 5, true}, // the fifth failure locks
		{"hong", 5, 6, true}, // and it stays locked
		{"kim", 0, 1, false}, // max 0: never locks
		{"kim", 0, 2, false},
		{"kim", -1, 3, false},
		{"kim", 3, 4, true}, // a lower threshold applies at once
	}
	for i, st := range steps {
		if i == 5 {
			clk.Add(time.Minute)
		}
		n, locked, err := s.RecordFailure(ctx, st.user, "192.0.2.7", st.max)
		if err != nil || n != st.wantCount || locked != st.wantLocked {
			t.Fatalf("step %d: RecordFailure(%s, max %d) = %d, %v, %v; want %d, %v",
				i, st.user, st.max, n, locked, err, st.wantCount, st.wantLocked)
		}
	}
	u, _ := s.GetUser(ctx, "hong")
	if !u.Locked || u.LockReason != LockReasonFailures || !u.LockedAt.Equal(t0) || u.FailedAttempts != 6 {
		t.Errorf("locked user = %+v; want LockedAt at the fifth failure", u)
	}

	// A successful login resets the count but does not unlock.
	if err := s.ResetFailures(ctx, "hong"); err != nil {
		t.Fatal(err)
	}
	if u, _ = s.GetUser(ctx, "hong"); u.FailedAttempts != 0 || !u.Locked {
		t.Errorf("after ResetFailures: %+v", u)
	}
	if err := s.UnlockUser(ctx, "hong"); err != nil {
		t.Fatal(err)
	}
	if n, locked, _ := s.RecordFailure(ctx, "hong", "", 5); n != 1 || locked {
		t.Errorf("after unlock: %d, %v; want 1, false", n, locked)
	}
}

// Failures arriving at once at two nodes are each counted once, and the
// account locks at exactly the threshold.
func testFailuresConcurrent(t *testing.T, b *backend) {
	ctx := context.Background()
	dsn := b.newDSN(t)
	nodes := []*Store{b.openDSN(t, dsn), b.openDSN(t, dsn)}
	if err := nodes[0].AddUser(ctx, User{ID: "hong"}); err != nil {
		t.Fatal(err)
	}
	const n, limit = 24, 10
	type result struct {
		count  int
		locked bool
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c, l, err := nodes[i%2].RecordFailure(ctx, "hong", "192.0.2.7", limit)
			if err != nil {
				t.Errorf("RecordFailure: %v", err)
			}
			results[i] = result{c, l}
		})
	}
	wg.Wait()
	sort.Slice(results, func(i, j int) bool { return results[i].count < results[j].count })
	for i, r := range results {
		if r.count != i+1 || r.locked != (r.count >= limit) {
			t.Fatalf("results %v: want counts 1..%d once each, locked from %d on", results, n, limit)
		}
	}
	u, _ := nodes[1].GetUser(ctx, "hong")
	if u.FailedAttempts != n || !u.Locked {
		t.Errorf("user after %d concurrent failures: %+v", n, u)
	}
	if c, _ := nodes[0].SourceFailures(ctx, "192.0.2.7", time.Time{}); c != n {
		t.Errorf("SourceFailures = %d, want %d", c, n)
	}
}

func testSourceFailures(t *testing.T, b *backend) {
	ctx := context.Background()
	clk := newClock()
	s := b.open(t, WithClock(clk.Now))
	if err := s.AddUser(ctx, User{ID: "hong"}); err != nil {
		t.Fatal(err)
	}
	t0 := clk.Now()
	// One address sweeping accounts, known and unknown.
	for i, user := range []string{"hong", "kim", "lee", "park"} {
		clk.Add(time.Minute)
		_, _, err := s.RecordFailure(ctx, user, "198.51.100.9", 5)
		if wantErr := i > 0; wantErr != errors.Is(err, ErrNotFound) {
			t.Errorf("RecordFailure(%s) = %v", user, err)
		}
	}
	if err := s.RecordSourceFailure(ctx, "198.51.100.9"); err != nil { // at t0+4m
		t.Fatal(err)
	}
	if err := s.RecordSourceFailure(ctx, ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("RecordSourceFailure(\"\") = %v", err)
	}
	if _, _, err := s.RecordFailure(ctx, "hong", "203.0.113.1", 5); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		source string
		since  time.Time
		want   int
	}{
		{"198.51.100.9", time.Time{}, 5},
		{"198.51.100.9", t0, 5},
		{"198.51.100.9", t0.Add(2 * time.Minute), 4}, // "since" is inclusive
		{"198.51.100.9", t0.Add(4 * time.Minute), 2},
		{"198.51.100.9", t0.Add(5 * time.Minute), 0},
		{"203.0.113.1", t0, 1},
		{"192.0.2.1", t0, 0},
	}
	for _, tt := range tests {
		if got, err := s.SourceFailures(ctx, tt.source, tt.since); err != nil || got != tt.want {
			t.Errorf("SourceFailures(%s, %v) = %d, %v; want %d", tt.source, tt.since, got, err, tt.want)
		}
	}
	n, err := s.PruneSourceFailures(ctx, t0.Add(3*time.Minute))
	if err != nil || n != 2 {
		t.Errorf("PruneSourceFailures = %d, %v; want 2", n, err)
	}
	if got, _ := s.SourceFailures(ctx, "198.51.100.9", time.Time{}); got != 3 {
		t.Errorf("after prune: %d, want 3", got)
	}
}
