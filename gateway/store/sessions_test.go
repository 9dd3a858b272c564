package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
)

func addUsers(t testing.TB, s *Store, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if err := s.AddUser(context.Background(), User{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
}

func ids(ss []Session) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.ID)
	}
	return out
}

func testSessions(t *testing.T, b *backend) {
	ctx := context.Background()
	clk := newClock()
	s := b.open(t, WithClock(clk.Now))
	addUsers(t, s, "hong", "kim")
	t0 := clk.Now()

	in := Session{
		TokenHash:     HashToken("token-1"),
		UserID:        "hong",
		PublicKey:     "wgkey1=",
		TunnelAddr:    netip.MustParseAddr("10.8.0.2"),
		Source:        "203.0.113.5:51820",
		Device:        json.RawMessage(`{"os":"windows","hostname":"PC-01","antivirus":["V3"]}`),
		Node:          "gw1",
		IdleExpiresAt: t0.Add(30 * time.Minute),
		ExpiresAt:     t0.Add(9 * time.Hour),
	}
	s1, ended, err := s.CreateSession(ctx, in, CreateOptions{Single: true})
	if err != nil || len(ended) != 0 {
		t.Fatalf("CreateSession = %v, %v", ended, err)
	}
	if len(s1.ID) != 32 || !s1.CreatedAt.Equal(t0) || !s1.LastSeen.Equal(t0) || !s1.Active() {
		t.Errorf("created session = %+v", s1)
	}
	got, err := s.SessionByToken(ctx, HashToken("token-1"))
	if err != nil || !reflect.DeepEqual(got, s1) {
		t.Errorf("SessionByToken =\n%+v, %v\nwant\n%+v", got, err, s1)
	}
	if got, err := s.GetSession(ctx, s1.ID); err != nil || !reflect.DeepEqual(got, s1) {
		t.Errorf("GetSession = %+v, %v", got, err)
	}
	if _, err := s.SessionByToken(ctx, HashToken("other")); !errors.Is(err, ErrNotFound) {
		t.Errorf("SessionByToken(unknown) = %v", err)
	}

	// Refusals.
	for name, tc := range map[string]struct {
		s    Session
		want error
	}{
		"duplicate ID":    {Session{ID: s1.ID, UserID: "kim", TokenHash: "x", ExpiresAt: t0.Add(time.Hour)}, ErrExists},
		"duplicate token": {Session{UserID: "kim", TokenHash: s1.TokenHash, ExpiresAt: t0.Add(time.Hour)}, ErrExists},
		"key in use":      {Session{UserID: "kim", TokenHash: "y", PublicKey: "wgkey1=", ExpiresAt: t0.Add(time.Hour)}, ErrExists},
		"address in use":  {Session{UserID: "kim", TokenHash: "z", TunnelAddr: s1.TunnelAddr, ExpiresAt: t0.Add(time.Hour)}, ErrExists},
		"no token":        {Session{UserID: "kim", ExpiresAt: t0.Add(time.Hour)}, ErrInvalid},
		"no user":         {Session{TokenHash: "q", ExpiresAt: t0.Add(time.Hour)}, ErrInvalid},
		"no expiry":       {Session{UserID: "kim", TokenHash: "q"}, ErrInvalid},
		"already ended":   {Session{UserID: "kim", TokenHash: "q", ExpiresAt: t0.Add(time.Hour), EndReason: api.EndKicked}, ErrInvalid},
		"device not JSON": {Session{UserID: "kim", TokenHash: "q", ExpiresAt: t0.Add(time.Hour), Device: json.RawMessage("{")}, ErrInvalid},
		"unknown user":    {Session{UserID: "nobody", TokenHash: "q", ExpiresAt: t0.Add(time.Hour)}, ErrNotFound},
		"kim, no address": {Session{UserID: "kim", TokenHash: "q", ExpiresAt: t0.Add(time.Hour)}, nil},
	} {
		_, _, err := s.CreateSession(ctx, tc.s, CreateOptions{})
		if tc.want == nil {
			if err != nil {
				t.Errorf("%s: CreateSession = %v", name, err)
			}
			continue
		}
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: CreateSession = %v, want %v", name, err, tc.want)
		}
	}

	// Without Single a user may have several sessions; with it, a new
	// login replaces them all.
	clk.Add(time.Minute)
	s2, _, err := s.CreateSession(ctx, Session{UserID: "hong", TokenHash: HashToken("token-2"), PublicKey: "wgkey2=", ExpiresAt: t0.Add(time.Hour)}, CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if act, _ := s.ListUserSessions(ctx, "hong"); !reflect.DeepEqual(ids(act), []string{s1.ID, s2.ID}) {
		t.Errorf("ListUserSessions = %v, want [s1 s2]", ids(act))
	}
	t2 := clk.Add(time.Minute)
	// The replacing login may reuse the WireGuard key of a session it ends.
	s3, ended, err := s.CreateSession(ctx, Session{UserID: "hong", TokenHash: HashToken("token-3"), PublicKey: "wgkey1=", ExpiresAt: t0.Add(time.Hour)}, CreateOptions{Single: true})
	if err != nil {
		t.Fatalf("CreateSession(Single): %v", err)
	}
	if !reflect.DeepEqual(ids(ended), []string{s1.ID, s2.ID}) {
		t.Errorf("replaced = %v, want [s1 s2]", ids(ended))
	}
	for _, e := range ended {
		if e.Active() || e.EndReason != api.EndReplaced || !e.EndedAt.Equal(t2) {
			t.Errorf("replaced session = %+v", e)
		}
	}
	if got, _ := s.SessionByToken(ctx, HashToken("token-1")); got.EndReason != api.EndReplaced {
		t.Errorf("heartbeat of the replaced session sees %+v", got)
	}
	if act, _ := s.ListUserSessions(ctx, "hong"); !reflect.DeepEqual(ids(act), []string{s3.ID}) {
		t.Errorf("ListUserSessions after replace = %v", ids(act))
	}

	// End: idempotent, the first reason stays.
	t3 := clk.Add(time.Minute)
	e, err := s.EndSession(ctx, s3.ID, api.EndLogout, t3)
	if err != nil || e.Active() || e.EndReason != api.EndLogout || !e.EndedAt.Equal(t3) {
		t.Errorf("EndSession = %+v, %v", e, err)
	}
	e, err = s.EndSession(ctx, s3.ID, api.EndKicked, t3.Add(time.Minute))
	if err != nil || e.EndReason != api.EndLogout || !e.EndedAt.Equal(t3) {
		t.Errorf("EndSession again = %+v, %v; want unchanged", e, err)
	}
	if _, err := s.EndSession(ctx, "nope", api.EndKicked, t3); !errors.Is(err, ErrNotFound) {
		t.Errorf("EndSession(unknown) = %v", err)
	}
	if _, err := s.EndSession(ctx, s3.ID, "", t3); !errors.Is(err, ErrInvalid) {
		t.Errorf("EndSession(no reason) = %v", err)
	}

	// EndUserSessions ends only that user's active sessions.
	for i := range 3 {
		user := []string{"hong", "hong", "kim"}[i]
		if _, _, err := s.CreateSession(ctx, Session{UserID: user, TokenHash: fmt.Sprint("m", i), ExpiresAt: t0.Add(time.Hour)}, CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	all, _ := s.ListActiveSessions(ctx)
	if len(all) != 4 { // kim's "bad pool" one, two of hong's, one of kim's
		t.Errorf("ListActiveSessions = %d sessions, want 4", len(all))
	}
	kicked, err := s.EndUserSessions(ctx, "hong", api.EndRevoked, t3)
	if err != nil || len(kicked) != 2 || kicked[0].EndReason != api.EndRevoked {
		t.Errorf("EndUserSessions = %+v, %v", kicked, err)
	}
	if kicked, _ := s.EndUserSessions(ctx, "hong", api.EndRevoked, t3); len(kicked) != 0 {
		t.Errorf("EndUserSessions again = %v", kicked)
	}
	if act, _ := s.ListActiveSessions(ctx); len(act) != 2 || act[0].UserID != "kim" || act[1].UserID != "kim" {
		t.Errorf("active after EndUserSessions = %+v", act)
	}

	// Prune ended sessions.
	n, err := s.PruneEndedSessions(ctx, t3)
	if err != nil || n != 2 { // s1, s2 ended at t2; those ended at t3 stay
		t.Errorf("PruneEndedSessions(t3) = %d, %v; want 2", n, err)
	}
}

func testSessionTouch(t *testing.T, b *backend) {
	ctx := context.Background()
	clk := newClock()
	s := b.open(t, WithClock(clk.Now))
	addUsers(t, s, "hong")
	t0 := clk.Now()
	sess, _, err := s.CreateSession(ctx, Session{UserID: "hong", TokenHash: "t", IdleExpiresAt: t0.Add(10 * time.Minute), ExpiresAt: t0.Add(time.Hour)}, CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		at       time.Duration // since t0
		idle     time.Duration
		wantIdle time.Duration // since t0
		active   bool
	}{
		{5 * time.Minute, 10 * time.Minute, 15 * time.Minute, true},
		{14 * time.Minute, 10 * time.Minute, 24 * time.Minute, true},
		{23 * time.Minute, time.Hour, time.Hour, true},      // capped at the absolute expiry
		{56 * time.Minute, 0, time.Hour, true},              // no idle timeout
		{time.Hour, 10 * time.Minute, time.Hour, false},     // absolute expiry reached
		{2 * time.Hour, 10 * time.Minute, time.Hour, false}, // ended stays ended
	}
	for i, st := range steps {
		got, err := s.TouchSession(ctx, sess.ID, t0.Add(st.at), st.idle)
		if err != nil {
			t.Fatalf("step %d: TouchSession: %v", i, err)
		}
		if got.Active() != st.active || !got.IdleExpiresAt.Equal(t0.Add(st.wantIdle)) {
			t.Errorf("step %d: touched = %+v; want active %v, idle expiry t0+%v", i, got, st.active, st.wantIdle)
		}
		if st.active && !got.LastSeen.Equal(t0.Add(st.at)) {
			t.Errorf("step %d: LastSeen = %v", i, got.LastSeen)
		}
		if !st.active && (got.EndReason != api.EndExpired || !got.EndedAt.Equal(t0.Add(time.Hour))) {
			t.Errorf("step %d: ended = %+v; want expired at t0+1h", i, got)
		}
	}

	// Idle expiry passed before the heartbeat arrived.
	sess, _, _ = s.CreateSession(ctx, Session{UserID: "hong", TokenHash: "u", IdleExpiresAt: t0.Add(10 * time.Minute), ExpiresAt: t0.Add(time.Hour)}, CreateOptions{})
	got, err := s.TouchSession(ctx, sess.ID, t0.Add(11*time.Minute), 10*time.Minute)
	if err != nil || got.Active() || got.EndReason != api.EndExpired {
		t.Errorf("late heartbeat = %+v, %v; want expired", got, err)
	}
	if _, err := s.TouchSession(ctx, "nope", t0, time.Minute); !errors.Is(err, ErrNotFound) {
		t.Errorf("TouchSession(unknown) = %v", err)
	}
}

func testSessionExpiry(t *testing.T, b *backend) {
	ctx := context.Background()
	clk := newClock()
	dsn := b.newDSN(t)
	s := b.openDSN(t, dsn, WithClock(clk.Now))
	addUsers(t, s, "a", "b", "c", "d")
	t0 := clk.Now()
	pool := mustPrefix("10.9.0.0/24")
	mk := func(user string, idle, abs time.Duration) Session {
		sess, _, err := s.CreateSession(ctx, Session{UserID: user, TokenHash: user,
			IdleExpiresAt: t0.Add(idle), ExpiresAt: t0.Add(abs)}, CreateOptions{Pool: pool})
		if err != nil {
			t.Fatal(err)
		}
		return sess
	}
	a := mk("a", 10*time.Minute, time.Hour)  // idle-expires at +10m
	bb := mk("b", time.Hour, 20*time.Minute) // absolute at +20m
	c := mk("c", time.Hour, 2*time.Hour)     // lives on
	d := mk("d", time.Hour, 2*time.Hour)
	if _, err := s.EndSession(ctx, d.ID, api.EndLogout, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		at   time.Duration
		want []string
	}{
		{5 * time.Minute, nil},
		{10 * time.Minute, []string{a.ID}}, // at the expiry instant
		{15 * time.Minute, nil},
		{30 * time.Minute, []string{bb.ID}},
		{30 * time.Minute, nil},
	}
	for _, tt := range tests {
		got, err := s.ExpireDue(ctx, t0.Add(tt.at))
		if err != nil || !reflect.DeepEqual(ids(got), tt.want) {
			t.Errorf("ExpireDue(t0+%v) = %v, %v; want %v", tt.at, ids(got), err, tt.want)
		}
		for _, e := range got {
			if e.EndReason != api.EndExpired || !e.EndedAt.Equal(t0.Add(tt.at)) {
				t.Errorf("expired session = %+v", e)
			}
		}
	}
	// Their addresses are free again; c keeps its own.
	for _, l := range mustLeases(t, s) {
		if held := l.SessionID != ""; held != (l.Addr == c.TunnelAddr) {
			t.Errorf("lease %+v after expiry", l)
		}
	}

	// Two nodes expiring at once: each session is reported once.
	node2 := b.openDSN(t, dsn, WithClock(clk.Now))
	var more []string
	for i := range 20 {
		u := fmt.Sprint("u", i)
		addUsers(t, s, u)
		more = append(more, mk(u, time.Hour, 3*time.Hour).ID)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for _, n := range []*Store{s, node2, s, node2} {
		wg.Go(func() {
			got, err := n.ExpireDue(ctx, t0.Add(4*time.Hour))
			if err != nil {
				t.Errorf("ExpireDue: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, e := range got {
				seen[e.ID]++
			}
		})
	}
	wg.Wait()
	for _, id := range append(more, c.ID) {
		if seen[id] != 1 {
			t.Errorf("session %s reported %d times", id, seen[id])
		}
	}
	if len(seen) != len(more)+1 {
		t.Errorf("%d sessions expired, want %d", len(seen), len(more)+1)
	}
}

// Logins of one user racing on two nodes with one-session-per-user leave
// exactly one session active, with a unique address.
func testSessionsSingleConcurrent(t *testing.T, b *backend) {
	ctx := context.Background()
	dsn := b.newDSN(t)
	nodes := []*Store{b.openDSN(t, dsn), b.openDSN(t, dsn)}
	addUsers(t, nodes[0], "hong", "kim")
	pool := mustPrefix("10.7.0.0/24")
	const n = 16
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			user := []string{"hong", "kim"}[i%2]
			_, _, err := nodes[i%2].CreateSession(ctx, Session{UserID: user, TokenHash: fmt.Sprint("tok", i),
				PublicKey: fmt.Sprint("key", i), ExpiresAt: time.Now().Add(time.Hour)},
				CreateOptions{Single: true, Pool: pool, Reserved: []netip.Addr{netip.MustParseAddr("10.7.0.1")}})
			if err != nil {
				t.Errorf("CreateSession: %v", err)
			}
		})
	}
	wg.Wait()
	act, err := nodes[1].ListActiveSessions(ctx)
	if err != nil || len(act) != 2 || act[0].UserID == act[1].UserID || act[0].TunnelAddr == act[1].TunnelAddr {
		t.Fatalf("active sessions = %+v, %v; want one per user", act, err)
	}
	held := 0
	for _, l := range mustLeases(t, nodes[0]) {
		if l.SessionID != "" {
			held++
		}
	}
	if held != 2 {
		t.Errorf("%d leases held, want 2", held)
	}
	// Sticky through the replacements: every login of a user got the
	// same address, so each user has exactly one lease row.
	if ls := mustLeases(t, nodes[0]); len(ls) != 2 {
		t.Errorf("leases = %+v; want one address per user", ls)
	}
}
