package store

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
)

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func addrs(ss ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

func mustLeases(t testing.TB, s *Store) []Lease {
	t.Helper()
	ls, err := s.Leases(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

func TestUsableRange(t *testing.T) {
	tests := []struct {
		pool, first, last string
	}{
		{"10.8.0.0/24", "10.8.0.1", "10.8.0.254"},
		{"10.8.0.77/24", "10.8.0.1", "10.8.0.254"}, // host bits ignored
		{"10.8.0.0/30", "10.8.0.1", "10.8.0.2"},
		{"10.8.0.0/31", "10.8.0.0", "10.8.0.1"},
		{"10.8.0.5/32", "10.8.0.5", "10.8.0.5"},
		{"10.0.0.0/8", "10.0.0.1", "10.255.255.254"},
		{"fd00:5:5::/120", "fd00:5:5::1", "fd00:5:5::ff"},
		{"fd00:5:5::/64", "fd00:5:5::1", "fd00:5:5:0:ffff:ffff:ffff:ffff"},
		{"fd00::1/128", "fd00::1", "fd00::1"},
	}
	for _, tt := range tests {
		first, last, err := usableRange(mustPrefix(tt.pool))
		if err != nil || first.String() != tt.first || last.String() != tt.last {
			t.Errorf("usableRange(%s) = %s..%s, %v; want %s..%s", tt.pool, first, last, err, tt.first, tt.last)
		}
	}
	if _, _, err := usableRange(netip.Prefix{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("usableRange(invalid) = %v", err)
	}
}

func TestAddrKeyOrder(t *testing.T) {
	as := addrs("10.0.0.2", "10.0.0.10", "10.0.1.1", "10.1.0.0", "fd00::2", "fd00::10")
	for i := 1; i < len(as); i++ {
		if !(addrKey(as[i-1]) < addrKey(as[i])) {
			t.Errorf("addrKey(%s) >= addrKey(%s)", as[i-1], as[i])
		}
	}
}

func testLeases(t *testing.T, b *backend) {
	ctx := context.Background()
	clk := newClock()
	s := b.open(t, WithClock(clk.Now))
	pool := mustPrefix("10.8.0.0/29") // .1 to .6 usable
	gw := addrs("10.8.0.1")           // the gateway's own

	acquire := func(user, session string) (netip.Addr, error) {
		clk.Add(time.Second)
		return s.AcquireLease(ctx, user, session, pool, gw)
	}
	for i, want := range []string{"10.8.0.2", "10.8.0.3", "10.8.0.4", "10.8.0.5", "10.8.0.6"} {
		a, err := acquire(fmt.Sprint("u", i), fmt.Sprint("s", i))
		if err != nil || a.String() != want {
			t.Fatalf("acquire %d = %v, %v; want %s", i, a, err, want)
		}
	}
	// Asking again for the same session is not a second address.
	if a, err := acquire("u0", "s0"); err != nil || a.String() != "10.8.0.2" {
		t.Errorf("acquire again = %v, %v", a, err)
	}
	_, err := acquire("u9", "s9")
	var pe *PoolExhaustedError
	if !errors.Is(err, ErrPoolExhausted) || !errors.As(err, &pe) || pe.Pool != pool {
		t.Fatalf("acquire from a full pool = %v, want *PoolExhaustedError", err)
	}

	// Free .4 then .3: a newcomer gets the one free longest.
	for _, sess := range []string{"s2", "s1"} {
		clk.Add(time.Second)
		if err := s.ReleaseLease(ctx, sess); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.ReleaseLease(ctx, "s1"); err != nil { // again: no-op
		t.Errorf("ReleaseLease twice = %v", err)
	}
	if err := s.ReleaseLease(ctx, "never-leased"); err != nil {
		t.Errorf("ReleaseLease(unknown) = %v", err)
	}
	if a, err := acquire("u9", "s9"); err != nil || a.String() != "10.8.0.4" {
		t.Errorf("newcomer got %v, %v; want 10.8.0.4 (free the longest)", a, err)
	}
	// u1 comes back and finds .3, its own address, still free.
	if a, err := acquire("u1", "s1b"); err != nil || a.String() != "10.8.0.3" {
		t.Errorf("returning user got %v, %v; want 10.8.0.3", a, err)
	}
	// u2's address went to u9, so u2 waits for a free one.
	if _, err := acquire("u2", "s2b"); !errors.Is(err, ErrPoolExhausted) {
		t.Errorf("acquire = %v, want exhausted", err)
	}

	ls := mustLeases(t, s)
	if len(ls) != 5 {
		t.Fatalf("Leases = %+v", ls)
	}
	if l := ls[2]; l.Addr.String() != "10.8.0.4" || l.UserID != "u9" || l.SessionID != "s9" || !l.ReleasedAt.IsZero() {
		t.Errorf("lease of .4 = %+v", l)
	}

	// An active session's address cannot be released behind its back.
	addUsers(t, s, "hong")
	if err := s.ReleaseLease(ctx, "s0"); err != nil {
		t.Fatal(err)
	}
	sess, _, err := s.CreateSession(ctx, Session{UserID: "hong", TokenHash: "t", ExpiresAt: clk.Now().Add(time.Hour)}, CreateOptions{Pool: pool, Reserved: gw})
	if err != nil || sess.TunnelAddr.String() != "10.8.0.2" {
		t.Fatalf("CreateSession with pool = %+v, %v", sess, err)
	}
	if err := s.ReleaseLease(ctx, sess.ID); !errors.Is(err, ErrInvalid) {
		t.Errorf("ReleaseLease(active session) = %v, want ErrInvalid", err)
	}

	// Orphans: leases of sessions that never came to be.
	clk.Add(time.Hour)
	n, err := s.ReleaseOrphanLeases(ctx, clk.Now().Add(-time.Minute))
	if err != nil || n != 4 { // s3, s4, s9, s1b; hong's session is live
		t.Errorf("ReleaseOrphanLeases = %d, %v; want 4", n, err)
	}
	for _, l := range mustLeases(t, s) {
		if (l.SessionID != "") != (l.Addr == sess.TunnelAddr) {
			t.Errorf("after orphan release: %+v", l)
		}
	}

	for name, f := range map[string]func() error{
		"no user":      func() error { _, err := s.AcquireLease(ctx, "", "s", pool, nil); return err },
		"no session":   func() error { _, err := s.AcquireLease(ctx, "u", "", pool, nil); return err },
		"invalid pool": func() error { _, err := s.AcquireLease(ctx, "u", "s", netip.Prefix{}, nil); return err },
	} {
		if err := f(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: AcquireLease = %v, want ErrInvalid", name, err)
		}
	}
}

func testLeaseSticky(t *testing.T, b *backend) {
	ctx := context.Background()
	clk := newClock()
	s := b.open(t, WithClock(clk.Now))
	pool := mustPrefix("10.8.0.0/24")
	step := func(user, session string) netip.Addr {
		t.Helper()
		clk.Add(time.Second)
		a, err := s.AcquireLease(ctx, user, session, pool, nil)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	release := func(session string) {
		t.Helper()
		clk.Add(time.Second)
		if err := s.ReleaseLease(ctx, session); err != nil {
			t.Fatal(err)
		}
	}
	a1 := step("alice", "a1")
	b1 := step("bob", "b1")
	release("a1")
	release("b1")
	// Day two, in the other order: everyone gets their own address back,
	// although alice's is the one free the longest.
	if got := step("bob", "b2"); got != b1 {
		t.Errorf("bob got %v, want %v", got, b1)
	}
	if got := step("alice", "a2"); got != a1 {
		t.Errorf("alice got %v, want %v", got, a1)
	}
	// Two sessions of one user: the second gets a new address, and the
	// most recently released of the user's addresses is preferred later.
	a3 := step("alice", "a3")
	if a3 == a1 || a3 == b1 {
		t.Errorf("second session of alice got %v", a3)
	}
	release("a2")
	release("a3")
	if got := step("alice", "a4"); got != a3 {
		t.Errorf("alice got %v, want her latest %v", got, a3)
	}
	// The gateway's address moved onto alice's other old address:
	// reserved wins over sticky.
	if got, err := s.AcquireLease(ctx, "alice", "a5", pool, []netip.Addr{a1}); err != nil || got == a1 {
		t.Errorf("AcquireLease with alice's old address reserved = %v, %v", got, err)
	}
	// A pool that changed: old addresses outside it are not handed out.
	release("a4")
	release("a5")
	if got, err := s.AcquireLease(ctx, "alice", "a6", mustPrefix("10.9.0.0/24"), nil); err != nil || got.String() != "10.9.0.1" {
		t.Errorf("new pool = %v, %v; want 10.9.0.1", got, err)
	}
}

func testLeaseGaps(t *testing.T, b *backend) {
	ctx := context.Background()
	clk := newClock()
	s := b.open(t, WithClock(clk.Now))
	pool := mustPrefix("10.8.0.0/29") // .1-.6
	users := []string{"u1", "u2", "u3", "u4", "u5", "u6"}
	addUsers(t, s, users...)
	for _, u := range users {
		if _, _, err := s.CreateSession(ctx, Session{UserID: u, TokenHash: u, ExpiresAt: clk.Now().Add(time.Hour)}, CreateOptions{Pool: pool}); err != nil {
			t.Fatal(err)
		}
	}
	// Deleting users leaves holes below the highest address handed out.
	for _, u := range []string{"u4", "u2"} {
		if _, err := s.DeleteUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	for i, want := range []string{"10.8.0.2", "10.8.0.4"} {
		a, err := s.AcquireLease(ctx, "new", fmt.Sprint("n", i), pool, nil)
		if err != nil || a.String() != want {
			t.Errorf("acquire %d = %v, %v; want the hole %s", i, a, err, want)
		}
	}
	if _, err := s.AcquireLease(ctx, "new", "n3", pool, nil); !errors.Is(err, ErrPoolExhausted) {
		t.Errorf("acquire = %v, want exhausted", err)
	}
	// Holes with reserved addresses in them are skipped.
	if _, err := s.DeleteUser(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcquireLease(ctx, "new", "n4", pool, addrs("10.8.0.1")); !errors.Is(err, ErrPoolExhausted) {
		t.Errorf("acquire with the only hole reserved = %v, want exhausted", err)
	}
}

func testLeasePools(t *testing.T, b *backend) {
	ctx := context.Background()
	tests := []struct {
		pool     string
		reserved []netip.Addr
		want     []string // in order, then exhausted
	}{
		{"10.8.0.0/30", nil, []string{"10.8.0.1", "10.8.0.2"}},
		{"10.8.0.0/31", nil, []string{"10.8.0.0", "10.8.0.1"}},
		{"10.8.0.9/32", nil, []string{"10.8.0.9"}},
		{"10.8.0.0/29", addrs("10.8.0.1", "10.8.0.3", "10.8.0.6", "192.0.2.1"), []string{"10.8.0.2", "10.8.0.4", "10.8.0.5"}},
		{"10.8.0.0/29", addrs("::ffff:10.8.0.1"), []string{"10.8.0.2", "10.8.0.3", "10.8.0.4", "10.8.0.5", "10.8.0.6"}},
		{"fd00:8::/126", nil, []string{"fd00:8::1", "fd00:8::2", "fd00:8::3"}},
		{"fd00:8::/125", addrs("fd00:8::1"), []string{"fd00:8::2", "fd00:8::3", "fd00:8::4", "fd00:8::5", "fd00:8::6", "fd00:8::7"}},
	}
	for _, tt := range tests {
		s := b.open(t)
		pool := mustPrefix(tt.pool)
		for i := 0; ; i++ {
			a, err := s.AcquireLease(ctx, fmt.Sprint("u", i), fmt.Sprint("s", i), pool, tt.reserved)
			if i == len(tt.want) {
				if !errors.Is(err, ErrPoolExhausted) {
					t.Errorf("%s: acquire %d = %v, %v; want exhausted", tt.pool, i, a, err)
				}
				break
			}
			if err != nil || a.String() != tt.want[i] {
				t.Errorf("%s: acquire %d = %v, %v; want %s", tt.pool, i, a, err, tt.want[i])
				break
			}
		}
	}
	// Two pools side by side in one database.
	s := b.open(t)
	a, _ := s.AcquireLease(ctx, "u", "s1", mustPrefix("10.1.0.0/24"), nil)
	c, _ := s.AcquireLease(ctx, "u", "s2", mustPrefix("10.2.0.0/24"), nil)
	if a.String() != "10.1.0.1" || c.String() != "10.2.0.1" {
		t.Errorf("two pools: %v, %v", a, c)
	}
}

// A user who logs in again while the old session is still up (laptop woke
// up, old tunnel dead) gets the same address: the replaced session's address
// is freed in the same transaction before the new one is leased.
func testLeaseWithSession(t *testing.T, b *backend) {
	ctx := context.Background()
	clk := newClock()
	s := b.open(t, WithClock(clk.Now))
	addUsers(t, s, "hong", "kim")
	pool := mustPrefix("10.8.0.0/24")
	opt := CreateOptions{Single: true, Pool: pool, Reserved: addrs("10.8.0.1")}
	login := func(user, token string) Session {
		t.Helper()
		clk.Add(time.Minute)
		sess, _, err := s.CreateSession(ctx, Session{UserID: user, TokenHash: token, ExpiresAt: clk.Now().Add(time.Hour)}, opt)
		if err != nil {
			t.Fatal(err)
		}
		return sess
	}
	h1 := login("hong", "h1")
	k1 := login("kim", "k1")
	h2 := login("hong", "h2")
	if h1.TunnelAddr.String() != "10.8.0.2" || k1.TunnelAddr.String() != "10.8.0.3" || h2.TunnelAddr != h1.TunnelAddr {
		t.Errorf("addresses %v %v %v; want hong to keep 10.8.0.2", h1.TunnelAddr, k1.TunnelAddr, h2.TunnelAddr)
	}
	// Logout frees, the next login gets it back.
	if _, err := s.EndSession(ctx, h2.ID, api.EndLogout, clk.Now()); err != nil {
		t.Fatal(err)
	}
	if ls := mustLeases(t, s); ls[0].SessionID != "" || ls[0].UserID != "hong" {
		t.Errorf("after logout: %+v", ls[0])
	}
	if h3 := login("hong", "h3"); h3.TunnelAddr != h1.TunnelAddr {
		t.Errorf("next day: %v", h3.TunnelAddr)
	}
	// A failed insert rolls the lease back too.
	clk.Add(time.Minute)
	_, _, err := s.CreateSession(ctx, Session{UserID: "kim", TokenHash: "h3", ExpiresAt: clk.Now().Add(time.Hour)}, opt)
	if !errors.Is(err, ErrExists) {
		t.Fatalf("CreateSession(duplicate token) = %v", err)
	}
	if act, _ := s.ListUserSessions(ctx, "kim"); len(act) != 1 || act[0].ID != k1.ID {
		t.Errorf("kim's session was replaced by a failed login: %+v", act)
	}
	if ls := mustLeases(t, s); len(ls) != 2 || ls[1].SessionID != k1.ID {
		t.Errorf("leases after failed login: %+v", ls)
	}
}

// Many acquisitions at once on two nodes of one database: no address is
// handed out twice and the pool runs out exactly when it should.
func testLeasesConcurrent(t *testing.T, b *backend) {
	ctx := context.Background()
	dsn := b.newDSN(t)
	nodes := []*Store{b.openDSN(t, dsn), b.openDSN(t, dsn)}
	pool := mustPrefix("10.8.0.0/27") // 30 usable
	reserved := addrs("10.8.0.1")     // 29 left
	const n, usable = 40, 29
	got := make([]netip.Addr, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			got[i], errs[i] = nodes[i%2].AcquireLease(ctx, fmt.Sprint("u", i), fmt.Sprint("s", i), pool, reserved)
		})
	}
	close(start)
	wg.Wait()
	seen := map[netip.Addr]int{}
	exhausted := 0
	for i := range n {
		switch {
		case errors.Is(errs[i], ErrPoolExhausted):
			exhausted++
		case errs[i] != nil:
			t.Errorf("goroutine %d: %v", i, errs[i])
		default:
			if prev, dup := seen[got[i]]; dup {
				t.Errorf("%v handed to goroutines %d and %d", got[i], prev, i)
			}
			seen[got[i]] = i
			if !pool.Contains(got[i]) || got[i] == reserved[0] || got[i].String() == "10.8.0.0" || got[i].String() == "10.8.0.31" {
				t.Errorf("goroutine %d got unusable %v", i, got[i])
			}
		}
	}
	if len(seen) != usable || exhausted != n-usable {
		t.Errorf("%d leased, %d exhausted; want %d, %d", len(seen), exhausted, usable, n-usable)
	}
	if ls := mustLeases(t, nodes[1]); len(ls) != usable {
		t.Errorf("%d lease rows, want %d", len(ls), usable)
	}
}
