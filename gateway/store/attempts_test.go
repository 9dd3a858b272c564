package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// burstCtx bounds a concurrency test: a deadlock fails it instead of hanging
// the run.
func burstCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// nodes opens two stores on one new database: two gateway nodes. On
// PostgreSQL each keeps to 16 connections, so a burst of 200 goroutines
// queues in Go instead of exhausting the test server beside the other
// parallel tests.
func twoNodes(t *testing.T, b *backend) [2]*Store {
	dsn := b.newDSN(t)
	n := [2]*Store{b.openDSN(t, dsn), b.openDSN(t, dsn)}
	if b.name == "postgres" {
		for _, s := range n {
			s.w.SetMaxOpenConns(16)
		}
	}
	return n
}

func testReserveAttempt(t *testing.T, b *backend) {
	ctx := context.Background()
	clk := newClock()
	s := b.open(t, WithClock(clk.Now))
	addUsers(t, s, "hong", "kim")

	if _, _, err := s.ReserveAttempt(ctx, "nobody", 3); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReserveAttempt(unknown) = %v, want ErrNotFound", err)
	}
	if _, _, err := s.FailAttempt(ctx, "nobody", 3); !errors.Is(err, ErrNotFound) {
		t.Errorf("FailAttempt(unknown) = %v, want ErrNotFound", err)
	}
	if err := s.ReleaseAttempt(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReleaseAttempt(unknown) = %v, want ErrNotFound", err)
	}

	reserve := func(step string, max, wantAttempt int, wantOK bool) {
		t.Helper()
		a, ok, err := s.ReserveAttempt(ctx, "hong", max)
		if err != nil || a != wantAttempt || ok != wantOK {
			t.Fatalf("%s: ReserveAttempt(max %d) = %d, %v, %v; want %d, %v", step, max, a, ok, err, wantAttempt, wantOK)
		}
	}
	fail := func(step string, max, wantFailures int, wantLocked bool) {
		t.Helper()
		n, locked, err := s.FailAttempt(ctx, "hong", max)
		if err != nil || n != wantFailures || locked != wantLocked {
			t.Fatalf("%s: FailAttempt(max %d) = %d, %v, %v; want %d, %v", step, max, n, locked, err, wantFailures, wantLocked)
		}
	}

	// Reserve → wrong → fail, one at a time: the third failure locks.
	reserve("1st", 3, 1, true)
	fail("1st", 3, 1, false)
	reserve("2nd", 3, 2, true)
	fail("2nd", 3, 2, false)
	reserve("3rd", 3, 3, true)
	// Three attempts failed or in flight: a fourth is refused before any
	// password is evaluated, and nothing changes.
	reserve("4th, at the limit", 3, 3, false)
	if u, _ := s.GetUser(ctx, "hong"); u.Locked || u.FailedAttempts != 2 { // the third is in flight
		t.Fatalf("refused reservation changed the account: %+v", u)
	}
	tLock := clk.Add(time.Minute)
	fail("3rd", 3, 3, true)
	u, _ := s.GetUser(ctx, "hong")
	if !u.Locked || u.LockReason != LockReasonFailures || !u.LockedAt.Equal(tLock) || u.FailedAttempts != 3 {
		t.Fatalf("after the third failure: %+v", u)
	}

	// A successful login elsewhere resets the count but does not unlock:
	// the locked account still refuses every reservation.
	if err := s.ResetFailures(ctx, "hong"); err != nil {
		t.Fatal(err)
	}
	if u, _ = s.GetUser(ctx, "hong"); !u.Locked || u.FailedAttempts != 0 {
		t.Fatalf("after ResetFailures: %+v", u)
	}
	reserve("locked, count 0", 3, 0, false)
	reserve("locked, unlimited", 0, 0, false)
	// Settling on a locked account keeps the first lock time and reason.
	clk.Add(time.Minute)
	fail("on a locked account", 3, 0, true)
	if u, _ = s.GetUser(ctx, "hong"); !u.LockedAt.Equal(tLock) || u.LockReason != LockReasonFailures {
		t.Fatalf("FailAttempt on a locked account changed the lock: %+v", u)
	}

	// Unlocked, a released reservation frees its slot and the count
	// never goes below zero.
	if err := s.UnlockUser(ctx, "hong"); err != nil {
		t.Fatal(err)
	}
	reserve("after unlock", 2, 1, true)
	reserve("after unlock", 2, 2, true)
	reserve("after unlock, at the limit", 2, 2, false)
	if err := s.ReleaseAttempt(ctx, "hong"); err != nil {
		t.Fatal(err)
	}
	reserve("after release", 2, 2, true)
	for range 4 {
		if err := s.ReleaseAttempt(ctx, "hong"); err != nil {
			t.Fatal(err)
		}
	}
	if u, _ = s.GetUser(ctx, "hong"); u.FailedAttempts != 0 || u.Locked {
		t.Fatalf("after releasing more than was reserved: %+v, want 0", u)
	}
	reserve("after the floor", 2, 1, true)

	// maxFailures <= 0: unlimited, never locks; a lower limit applies at once.
	for i := 1; i <= 6; i++ {
		a, ok, err := s.ReserveAttempt(ctx, "kim", 0)
		if err != nil || !ok || a != i {
			t.Fatalf("unlimited reservation %d = %d, %v, %v", i, a, ok, err)
		}
		if n, locked, err := s.FailAttempt(ctx, "kim", -1); err != nil || n != i || locked {
			t.Fatalf("unlimited failure %d = %d, %v, %v", i, n, locked, err)
		}
	}
	if _, ok, _ := s.ReserveAttempt(ctx, "kim", 5); ok {
		t.Error("reservation at 6 failures with max 5 granted")
	}
	if n, locked, err := s.FailAttempt(ctx, "kim", 5); err != nil || n != 6 || !locked {
		t.Errorf("FailAttempt(max 5) at 6 = %d, %v, %v; want 6, locked", n, locked, err)
	}
}

// Bursts of wrong passwords for one account, across two nodes: exactly
// maxFailures are evaluated, each with its own attempt number, and the
// account ends locked at maxFailures. "slow" lets every reservation of the
// burst happen before the first password is judged, as when hashing takes
// longer than the burst; "interleaved" lets them mix.
func testReserveAttemptBurst(t *testing.T, b *backend) {
	const maxFailures = 5
	for _, mode := range []string{"slow", "interleaved"} {
		for _, n := range []int{20, 50, 200} {
			t.Run(fmt.Sprint(mode, n), func(t *testing.T) { reserveBurst(t, b, n, maxFailures, mode == "slow") })
		}
	}
}

func reserveBurst(t *testing.T, b *backend, n, maxFailures int, slow bool) {
	ctx := burstCtx(t)
	nodes := twoNodes(t, b)
	addUsers(t, nodes[0], "hong")
	var (
		mu       sync.Mutex
		reserved []int
		wg       sync.WaitGroup
		asked    sync.WaitGroup // every reservation answered
	)
	asked.Add(n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			s := nodes[i%2]
			<-start
			a, ok, err := s.ReserveAttempt(ctx, "hong", maxFailures)
			asked.Done()
			if err != nil {
				t.Errorf("ReserveAttempt: %v", err)
				return
			}
			if !ok {
				return
			}
			mu.Lock()
			reserved = append(reserved, a)
			mu.Unlock()
			if slow {
				asked.Wait()
			}
			// The password was wrong.
			if _, _, err := s.FailAttempt(ctx, "hong", maxFailures); err != nil {
				t.Errorf("FailAttempt: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
	sort.Ints(reserved)
	if want := fmt.Sprint(seq(1, maxFailures)); fmt.Sprint(reserved) != want {
		t.Errorf("%d concurrent attempts: reserved %v, want %s", n, reserved, want)
	}
	u, err := nodes[1].GetUser(ctx, "hong")
	if err != nil || !u.Locked || u.FailedAttempts != maxFailures || u.LockReason != LockReasonFailures {
		t.Errorf("after the burst: %+v, %v; want locked at %d", u, err, maxFailures)
	}
}

func seq(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

// One right password among 19 wrong ones, at once: the right one is either
// reserved, and then wins (its reset counts), or refused because the wrong
// ones already hold every attempt, and then the account ends locked. No
// reservation is granted once a lock has been seen.
func testReserveAttemptRightAmongWrong(t *testing.T, b *backend) {
	const maxFailures, n, rounds = 5, 20, 8
	nodes := twoNodes(t, b)
	ctx := burstCtx(t)
	var won, refused int
	for round := range rounds {
		id := fmt.Sprint("user", round)
		addUsers(t, nodes[0], id)
		right := rand.IntN(n)
		var (
			lockSeen, rightWon, rightRefused atomic.Bool
			wrongReserved                    atomic.Int32
			wg                               sync.WaitGroup
		)
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				s := nodes[i%2]
				<-start
				lockedBefore := lockSeen.Load()
				_, ok, err := s.ReserveAttempt(ctx, id, maxFailures)
				if err != nil {
					t.Errorf("ReserveAttempt: %v", err)
					return
				}
				if ok && lockedBefore {
					t.Errorf("round %d: a reservation was granted after the account was seen locked", round)
				}
				switch {
				case i == right && ok:
					if err := s.ResetFailures(ctx, id); err != nil {
						t.Errorf("ResetFailures: %v", err)
					}
					rightWon.Store(true)
				case i == right:
					rightRefused.Store(true)
				case ok:
					wrongReserved.Add(1)
					_, locked, err := s.FailAttempt(ctx, id, maxFailures)
					if err != nil {
						t.Errorf("FailAttempt: %v", err)
					}
					if locked {
						lockSeen.Store(true)
					}
				}
			})
		}
		close(start)
		wg.Wait()
		u, err := nodes[0].GetUser(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		w := int(wrongReserved.Load())
		switch {
		case rightWon.Load() == rightRefused.Load():
			t.Fatalf("round %d: the right password was both or neither reserved and refused", round)
		case rightRefused.Load():
			refused++
			// Only the right password resets, so the wrong ones took
			// exactly the 5 attempts and locked the account.
			if w != maxFailures || !u.Locked || u.FailedAttempts != maxFailures {
				t.Errorf("round %d: right refused, %d wrong evaluated, account %+v; want %d and locked", round, w, u, maxFailures)
			}
		default:
			won++
			// At most 4 wrong ones beside the right one before its
			// reset, at most 5 after it.
			if w > 2*maxFailures-1 || u.FailedAttempts > maxFailures {
				t.Errorf("round %d: right won, %d wrong evaluated, account %+v", round, w, u)
			}
		}
	}
	t.Logf("%d rounds: right password reserved and won %d times, refused %d times", rounds, won, refused)
}

func sourceRow(t *testing.T, s *Store, source string) (attempts int, windowStart, windowEnd time.Time, found bool) {
	t.Helper()
	var a int
	var st, end int64
	err := s.reader().row(context.Background(),
		`SELECT attempts, window_start, window_end FROM source_attempts WHERE source = ?`, source).Scan(&a, &st, &end)
	if isNoRows(err) {
		return 0, time.Time{}, time.Time{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return a, microTime(st), microTime(end), true
}

func testSourceAttempts(t *testing.T, b *backend) {
	ctx := context.Background()
	s := b.open(t)
	const window, limit = 10 * time.Minute, 3
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	const src = "198.51.100.9"

	reserve := func(step, source string, now time.Time, wantN int, wantOK bool, wantRetry time.Duration) {
		t.Helper()
		n, ok, retry, err := s.ReserveSourceAttempt(ctx, source, window, limit, now)
		if err != nil || n != wantN || ok != wantOK || retry != wantRetry {
			t.Fatalf("%s: ReserveSourceAttempt(%s, %v) = %d, %v, %v, %v; want %d, %v, %v",
				step, source, now.Sub(t0), n, ok, retry, err, wantN, wantOK, wantRetry)
		}
	}

	if _, _, _, err := s.ReserveSourceAttempt(ctx, "", window, limit, t0); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty source: %v", err)
	}
	if _, _, _, err := s.ReserveSourceAttempt(ctx, src, 0, limit, t0); !errors.Is(err, ErrInvalid) {
		t.Errorf("zero window: %v", err)
	}

	reserve("1st", src, t0, 1, true, 0)
	reserve("2nd", src, t0.Add(time.Minute), 2, true, 0)
	reserve("3rd", src, t0.Add(2*time.Minute), 3, true, 0)
	reserve("over the limit", src, t0.Add(4*time.Minute), 3, false, 6*time.Minute)
	reserve("another source", "203.0.113.1", t0.Add(4*time.Minute), 1, true, 0)
	// A successful login gives its attempt back.
	if err := s.ReleaseSourceAttempt(ctx, src, t0.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	reserve("after a release", src, t0.Add(5*time.Minute), 3, true, 0)
	reserve("full again", src, t0.Add(9*time.Minute+59*time.Second), 3, false, time.Second)
	// The window started at t0 ends at t0+10m: a new one starts there,
	// whatever the count was.
	t1 := t0.Add(window)
	reserve("new window", src, t1, 1, true, 0)
	if n, st, end, _ := sourceRow(t, s, src); n != 1 || !st.Equal(t1) || !end.Equal(t1.Add(window)) {
		t.Fatalf("new window row: %d, %v, %v", n, st, end)
	}
	reserve("new window, 2nd", src, t1.Add(time.Minute), 2, true, 0)
	// Releases stop at zero.
	for range 5 {
		if err := s.ReleaseSourceAttempt(ctx, src, t1.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if n, _, _, _ := sourceRow(t, s, src); n != 0 {
		t.Fatalf("after releasing more than was reserved: %d, want 0", n)
	}
	reserve("from zero", src, t1.Add(3*time.Minute), 1, true, 0)
	// A release after the window ended changes nothing (the next
	// reservation starts a new window anyway).
	if err := s.ReleaseSourceAttempt(ctx, src, t1.Add(window)); err != nil {
		t.Fatal(err)
	}
	if n, _, _, _ := sourceRow(t, s, src); n != 1 {
		t.Fatalf("release in an ended window: %d, want 1", n)
	}
	if err := s.ReleaseSourceAttempt(ctx, "192.0.2.99", t1); err != nil {
		t.Errorf("releasing an unknown source: %v", err)
	}

	// limit <= 0: unlimited.
	for i := 1; i <= 40; i++ {
		n, ok, _, err := s.ReserveSourceAttempt(ctx, "192.0.2.50", window, 0, t1)
		if err != nil || !ok || n != i {
			t.Fatalf("unlimited reservation %d = %d, %v, %v", i, n, ok, err)
		}
	}

	// PruneSourceFailures removes windows that ended before its argument
	// (and old source_failures rows, see testSourceFailures).
	n, err := s.PruneSourceFailures(ctx, t1.Add(window))
	if err != nil || n != 1 { // 203.0.113.1's window ended at t0+14m
		t.Errorf("PruneSourceFailures(t1+10m) = %d, %v; want 1", n, err)
	}
	if _, _, _, found := sourceRow(t, s, "203.0.113.1"); found {
		t.Error("ended window not pruned")
	}
	if _, _, _, found := sourceRow(t, s, src); !found {
		t.Error("current window pruned")
	}

	// ReserveSourceAttempt itself deletes ended windows now and then, so
	// the table does not grow when nothing prunes it.
	t2 := t1.Add(2 * time.Hour)
	reserve("much later", "192.0.2.200", t2, 1, true, 0)
	for _, src := range []string{src, "192.0.2.50"} {
		if _, _, _, found := sourceRow(t, s, src); found {
			t.Errorf("window of %s ended an hour ago and was not pruned", src)
		}
	}
	if _, _, _, found := sourceRow(t, s, "192.0.2.200"); !found {
		t.Error("the new window is missing")
	}
}

// 40 logins from one address at once, on two nodes, against a limit of 30:
// exactly 30 are let through.
func testSourceAttemptsConcurrent(t *testing.T, b *backend) {
	const n, limit, window = 40, 30, 15 * time.Minute
	ctx := burstCtx(t)
	nodes := twoNodes(t, b)
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var (
		mu      sync.Mutex
		granted []int
		refused int
		wg      sync.WaitGroup
	)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			a, ok, retry, err := nodes[i%2].ReserveSourceAttempt(ctx, "198.51.100.9", window, limit, now)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				t.Errorf("ReserveSourceAttempt: %v", err)
			case ok:
				granted = append(granted, a)
			default:
				refused++
				if a != limit || retry != window {
					t.Errorf("refusal = %d, retry after %v; want %d, %v", a, retry, limit, window)
				}
			}
		})
	}
	close(start)
	wg.Wait()
	sort.Ints(granted)
	for i, a := range granted {
		if a != i+1 {
			t.Fatalf("granted attempt numbers %v, want 1..%d once each", granted, limit)
		}
	}
	if len(granted) != limit || refused != n-limit {
		t.Errorf("%d concurrent reservations with limit %d: %d granted, %d refused", n, limit, len(granted), refused)
	}
	if a, _, _, _ := sourceRow(t, nodes[0], "198.51.100.9"); a != limit {
		t.Errorf("stored count %d, want %d", a, limit)
	}
}

// testAttemptInFlight: an attempt being evaluated holds a slot but is not a
// failure: wrong attempts settling beside a right one in flight do not lock
// at fewer than maxFailures failures, and a reservation left behind by a
// dead node stops holding its slot after pendingStale.
func testAttemptInFlight(t *testing.T, b *backend) {
	ctx := context.Background()
	clk := newClock()
	s := b.open(t, WithClock(clk.Now))
	addUsers(t, s, "hong")
	for range 5 {
		if _, ok, err := s.ReserveAttempt(ctx, "hong", 5); !ok || err != nil {
			t.Fatalf("reserve: %v %v", ok, err)
		}
	}
	for range 4 { // four wrong settle while the fifth (right) is in flight
		if _, locked, err := s.FailAttempt(ctx, "hong", 5); locked || err != nil {
			t.Fatalf("locked at fewer than 5 failures (%v)", err)
		}
	}
	if _, ok, _ := s.ReserveAttempt(ctx, "hong", 5); ok {
		t.Fatal("a sixth attempt reserved while five are failed or in flight")
	}
	if err := s.SucceedAttempt(ctx, "hong"); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.GetUser(ctx, "hong"); u.FailedAttempts != 0 || u.Locked {
		t.Fatalf("after the right one: %+v", u)
	}
	// A node reserved and died: after pendingStale the slots are free.
	for range 5 {
		s.ReserveAttempt(ctx, "hong", 5)
	}
	if _, ok, _ := s.ReserveAttempt(ctx, "hong", 5); ok {
		t.Fatal("reserved beyond the limit")
	}
	clk.Add(pendingStale + time.Second)
	if a, ok, err := s.ReserveAttempt(ctx, "hong", 5); !ok || a != 1 || err != nil {
		t.Fatalf("stale reservations still hold slots: %d %v %v", a, ok, err)
	}
}
