package store

import (
	"context"
	"errors"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
)

func newSession(t testing.TB, s *Store, user, node, key string, pool netip.Prefix) Session {
	t.Helper()
	sess, _, err := s.CreateSession(context.Background(), Session{UserID: user, TokenHash: HashToken(NewID()),
		PublicKey: key, Node: node, ExpiresAt: time.Now().Add(time.Hour)}, CreateOptions{Single: true, Pool: pool})
	if err != nil {
		t.Fatal(err)
	}
	return sess
}

func testNodes(t *testing.T, b *backend) {
	ctx := context.Background()
	dsn := b.newDSN(t)
	a, bb := b.openDSN(t, dsn), b.openDSN(t, dsn)
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	if _, err := a.NodeHeartbeat(ctx, Node{ID: "a", APIURL: "https://a:8443", WGEndpoint: "a:51820"}, t0, true); err != nil {
		t.Fatal(err)
	}
	if _, err := bb.NodeHeartbeat(ctx, Node{ID: "b", APIURL: "https://b:8443"}, t0, true); err != nil {
		t.Fatal(err)
	}
	if _, err := a.NodeHeartbeat(ctx, Node{}, t0, false); !errors.Is(err, ErrInvalid) {
		t.Errorf("heartbeat without ID: %v, want ErrInvalid", err)
	}
	addUsers(t, a, "hong", "kim")
	pool := netip.MustParsePrefix("10.9.0.0/24")
	s1 := newSession(t, a, "hong", "a", "k1", pool)
	s2 := newSession(t, bb, "kim", "b", "k2", pool)

	// Draining survives heartbeats, not a restart.
	if err := bb.SetNodeDraining(ctx, "b", true); err != nil {
		t.Fatal(err)
	}
	if err := bb.SetNodeDraining(ctx, "nosuch", true); !errors.Is(err, ErrNotFound) {
		t.Errorf("draining an unknown node: %v", err)
	}
	n, err := bb.NodeHeartbeat(ctx, Node{ID: "b", APIURL: "https://b:8443"}, t0.Add(2*time.Second), false)
	if err != nil || !n.Draining || !n.StartedAt.Equal(t0) || !n.HeartbeatAt.Equal(t0.Add(2*time.Second)) {
		t.Errorf("heartbeat of a draining node: %+v, %v", n, err)
	}
	ns, err := a.Nodes(ctx)
	if err != nil || len(ns) != 2 || ns[0].ID != "a" || ns[0].Sessions != 1 || ns[1].Sessions != 1 || !ns[1].Draining ||
		ns[0].APIURL != "https://a:8443" || ns[0].WGEndpoint != "a:51820" {
		t.Fatalf("Nodes = %+v, %v", ns, err)
	}
	if !ns[1].Alive(t0.Add(5*time.Second), 10*time.Second) || ns[0].Alive(t0.Add(10*time.Second), 10*time.Second) {
		t.Error("Alive is wrong")
	}

	// The draining node's client moves to a: same address, a holds it.
	moved, err := a.MoveSession(ctx, s2.ID, "a", t0.Add(3*time.Second))
	if err != nil || moved.Node != "a" || moved.TunnelAddr != s2.TunnelAddr || !moved.Active() {
		t.Fatalf("MoveSession = %+v, %v", moved, err)
	}
	if _, err := a.MoveSession(ctx, "nosuch", "a", t0); !errors.Is(err, ErrNotFound) {
		t.Errorf("moving an unknown session: %v", err)
	}
	if n, err = bb.NodeHeartbeat(ctx, Node{ID: "b"}, t0.Add(4*time.Second), true); err != nil || n.Draining {
		t.Errorf("a restarted node is still draining: %+v, %v", n, err)
	}

	if ids, err := a.NodeSessionIDs(ctx, "a"); err != nil || len(ids) != 2 || !ids[s1.ID] || !ids[s2.ID] {
		t.Errorf("NodeSessionIDs(a) = %v, %v", ids, err)
	}
	if ids, err := a.NodeSessionIDs(ctx, "b"); err != nil || len(ids) != 0 {
		t.Errorf("NodeSessionIDs(b) = %v, %v", ids, err)
	}
	// a stops heartbeating; its sessions end once it is dead, b's do not.
	s3 := newSession(t, bb, "hong", "b", "k3", pool) // replaces s1
	if s3.TunnelAddr != s1.TunnelAddr {
		t.Errorf("hong's address changed from %v to %v", s1.TunnelAddr, s3.TunnelAddr)
	}
	ended, err := bb.EndSessionsOfDeadNodes(ctx, t0.Add(time.Second), t0.Add(20*time.Second))
	if err != nil || len(ended) != 1 || ended[0].ID != s2.ID || ended[0].EndReason != api.EndExpired {
		t.Fatalf("EndSessionsOfDeadNodes = %+v, %v; want %s", ended, err, s2.ID)
	}
	if l, _ := bb.GetSession(ctx, s3.ID); !l.Active() {
		t.Error("a live node's session was ended")
	}
	// Revoking hong's certificate ends hong's session, and only that.
	if err := a.BindCertificate(ctx, "hong", CertBinding{Subject: "cn=hong", Serial: "1a2b", Issuer: "cn=CA1"}); err != nil {
		t.Fatal(err)
	}
	if ended, err := a.EndCertificateSessions(ctx, "1a2b", "cn=CA2", t0); err != nil || len(ended) != 0 {
		t.Errorf("another issuer's serial ended %v, %v", ended, err)
	}
	if ended, err := a.EndCertificateSessions(ctx, "1a2b", "cn=CA1", t0); err != nil || len(ended) != 1 || ended[0].ID != s3.ID || ended[0].EndReason != api.EndRevoked {
		t.Errorf("EndCertificateSessions = %+v, %v", ended, err)
	}
	if err := a.DeleteNode(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.GetNode(ctx, "a"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted node: %v", err)
	}
}

// RunExclusive lets one node at a time run a job (PostgreSQL: an advisory
// lock on a connection of its own).
func testRunExclusive(t *testing.T, b *backend) {
	ctx := context.Background()
	dsn := b.newDSN(t)
	a, bb := b.openDSN(t, dsn), b.openDSN(t, dsn)
	if b.name != "postgres" {
		ran, err := a.RunExclusive(ctx, JobCRLRefresh, func(context.Context) error { return nil })
		if !ran || err != nil {
			t.Errorf("SQLite RunExclusive = %v, %v", ran, err)
		}
		return
	}
	inside, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		_, err := a.RunExclusive(ctx, JobCRLRefresh, func(context.Context) error {
			close(inside)
			<-release
			return nil
		})
		done <- err
	}()
	<-inside
	var other atomic.Bool
	ran, err := bb.RunExclusive(ctx, JobCRLRefresh, func(context.Context) error { other.Store(true); return nil })
	if ran || err != nil || other.Load() {
		t.Errorf("second node ran the job while the first held it: %v, %v", ran, err)
	}
	// Another job is not excluded.
	if ran, err := bb.RunExclusive(ctx, JobExpirySweep, func(context.Context) error { return nil }); !ran || err != nil {
		t.Errorf("other job: %v, %v", ran, err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if ran, err := bb.RunExclusive(ctx, JobCRLRefresh, func(context.Context) error { return nil }); !ran || err != nil {
		t.Errorf("after release: %v, %v", ran, err)
	}
	// A job's error comes back, and the lock is released all the same.
	boom := errors.New("boom")
	if _, err := a.RunExclusive(ctx, JobCRLRefresh, func(context.Context) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("job error: %v", err)
	}
	if ran, _ := bb.RunExclusive(ctx, JobCRLRefresh, func(context.Context) error { return nil }); !ran {
		t.Error("lock kept after a failed job")
	}
}

func testCRLCache(t *testing.T, b *backend) {
	ctx := context.Background()
	s := b.open(t)
	if _, _, err := s.CRL(ctx, "http://ca/crl"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing CRL: %v", err)
	}
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for i, der := range [][]byte{{1, 2, 3}, {4, 5}} {
		at := t0.Add(time.Duration(i) * time.Hour)
		if err := s.PutCRL(ctx, "http://ca/crl", der, at); err != nil {
			t.Fatal(err)
		}
		got, when, err := s.CRL(ctx, "http://ca/crl")
		if err != nil || string(got) != string(der) || !when.Equal(at) {
			t.Errorf("CRL = %v %v %v; want %v %v", got, when, err, der, at)
		}
	}
}

// A session that ends or moves on one node is announced to the others.
func testListenSessions(t *testing.T, b *backend) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dsn := b.newDSN(t)
	a, bb := b.openDSN(t, dsn), b.openDSN(t, dsn)
	if b.name != "postgres" {
		if err := bb.ListenSessions(ctx, func(SessionChange) {}, nil, nil); !errors.Is(err, ErrNoNotifications) {
			t.Errorf("SQLite ListenSessions: %v", err)
		}
		return
	}
	got := make(chan SessionChange, 16)
	ready := make(chan struct{}, 4)
	go bb.ListenSessions(ctx, func(c SessionChange) { got <- c }, func() { ready <- struct{}{} }, func(err error) { t.Log(err) })
	<-ready
	addUsers(t, a, "hong", "kim")
	pool := netip.MustParsePrefix("10.9.0.0/24")
	s1 := newSession(t, a, "hong", "a", "k1", pool)
	s2 := newSession(t, a, "kim", "a", "k2", pool)
	wait := func(want SessionChange) {
		t.Helper()
		deadline := time.After(2 * time.Second)
		for {
			select {
			case c := <-got:
				if c == want {
					return
				}
			case <-deadline:
				t.Fatalf("no notification %+v within 2 s", want)
			}
		}
	}
	if _, err := a.EndSession(ctx, s1.ID, api.EndKicked, time.Now()); err != nil {
		t.Fatal(err)
	}
	wait(SessionChange{SessionID: s1.ID, Node: "a"})
	if _, err := a.MoveSession(ctx, s2.ID, "b", time.Now()); err != nil {
		t.Fatal(err)
	}
	wait(SessionChange{SessionID: s2.ID, Node: "b"})
	if _, err := a.DeleteUser(ctx, "kim"); err != nil {
		t.Fatal(err)
	}
	wait(SessionChange{SessionID: s2.ID, Node: "b"})
	// A heartbeat (a touch) says nothing.
	s3 := newSession(t, a, "hong", "a", "k3", pool)
	if _, err := a.TouchSession(ctx, s3.ID, time.Now(), time.Hour); err != nil {
		t.Fatal(err)
	}
	// (Other tests of this run share the channel: only s3 counts.)
	deadline := time.After(300 * time.Millisecond)
	for {
		select {
		case c := <-got:
			if c.SessionID == s3.ID {
				t.Errorf("notification for a touch: %+v", c)
			}
			continue
		case <-deadline:
		}
		break
	}
}
