package store

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"
)

// testSecrets: every node gets the same secret, created once even when
// nodes race.
func testSecrets(t *testing.T, b *backend) {
	ctx := context.Background()
	dsn := b.newDSN(t)
	nodes := []*Store{b.openDSN(t, dsn), b.openDSN(t, dsn), b.openDSN(t, dsn)}
	got := make([][]byte, len(nodes))
	var wg sync.WaitGroup
	for i, s := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := s.Secret(ctx, "challenge-hmac", 32)
			if err != nil {
				t.Error(err)
			}
			got[i] = v
		}()
	}
	wg.Wait()
	for i := range got {
		if len(got[i]) != 32 || !bytes.Equal(got[i], got[0]) {
			t.Fatalf("node %d got %x, node 0 %x", i, got[i], got[0])
		}
	}
	other, err := nodes[0].Secret(ctx, "change-token-hmac", 32)
	if err != nil || bytes.Equal(other, got[0]) {
		t.Fatalf("a second secret must differ: %x %v", other, err)
	}
	if _, err := nodes[0].Secret(ctx, "challenge-hmac", 16); err == nil {
		t.Fatal("a secret of the wrong size must be refused")
	}
}

// testUseChallenge: a challenge is accepted once across nodes, and expired
// records are pruned.
func testUseChallenge(t *testing.T, b *backend) {
	ctx := context.Background()
	clk := newClock()
	dsn := b.newDSN(t)
	a, c := b.openDSN(t, dsn, WithClock(clk.Now)), b.openDSN(t, dsn, WithClock(clk.Now))
	exp := clk.Now().Add(5 * time.Minute)
	fresh := 0
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		s := a
		if i%2 == 1 {
			s = c
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.UseChallenge(ctx, "ch-1", exp)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				fresh++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if fresh != 1 {
		t.Fatalf("challenge accepted %d times, want once", fresh)
	}
	clk.Add(10 * time.Minute)
	if ok, err := a.UseChallenge(ctx, "ch-2", clk.Now().Add(time.Minute)); err != nil || !ok {
		t.Fatalf("fresh challenge: %v %v", ok, err)
	}
	var n int
	if err := a.reader().row(ctx, `SELECT COUNT(*) FROM used_challenges WHERE id = ?`, "ch-1").Scan(&n); err != nil || n != 0 {
		t.Fatalf("expired record kept: %d %v", n, err)
	}
}
