package store

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestMobileLoginsSQLite(t *testing.T)   { testMobileLogins(t, sqliteBackend) }
func TestMobileLoginsPostgres(t *testing.T) { testMobileLogins(t, postgresBackend(t)) }

// testMobileLogins: a QR login is stored as given, is answered once however
// many race (and only while pending), collected once (and only once
// answered); a node holds at most maxPending not collected; pruning
// returns each expired pending login once and drops the spent ones.
func testMobileLogins(t *testing.T, b *backend) {
	ctx := context.Background()
	s := b.open(t)
	now := time.Now().UTC().Truncate(time.Microsecond)
	grace := 20 * time.Second
	mk := func(trx, node string, ttl time.Duration) MobileLogin {
		return MobileLogin{Key: HashToken(trx), Nonce: "n-" + trx, ShortCode: "0420", WGPublicKey: "wg-" + trx, UserID: "kim01",
			Binding: []byte{1, 2, 3}, Source: "10.0.0.1", Host: "https://vpn.example", Node: node, ExpiresAt: now.Add(ttl)}
	}
	add := func(l MobileLogin, max int, at time.Time) ([]MobileLogin, bool) {
		t.Helper()
		exp, ok, err := s.AddMobileLogin(ctx, l, max, grace, at)
		if err != nil {
			t.Fatal(err)
		}
		return exp, ok
	}
	if _, ok := add(mk("t1", "a", time.Minute), 2, now); !ok {
		t.Fatal("first login refused")
	}
	got, err := s.GetMobileLogin(ctx, HashToken("t1"))
	if err != nil {
		t.Fatal(err)
	}
	want := mk("t1", "a", time.Minute)
	want.CreatedAt = now
	if got.Key != want.Key || got.Nonce != want.Nonce || got.ShortCode != want.ShortCode || got.WGPublicKey != want.WGPublicKey ||
		got.UserID != want.UserID || !bytes.Equal(got.Binding, want.Binding) || got.Source != want.Source || got.Host != want.Host ||
		got.Node != want.Node || !got.ExpiresAt.Equal(want.ExpiresAt) || !got.CreatedAt.Equal(now) || got.State != MobilePending {
		t.Fatalf("stored %+v\nwant %+v", got, want)
	}
	if _, err := s.GetMobileLogin(ctx, HashToken("nope")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown login: %v", err)
	}
	for name, l := range map[string]MobileLogin{"no key": {Binding: []byte{1}}, "no binding": {Key: "k"}} {
		if _, _, err := s.AddMobileLogin(ctx, l, 10, grace, now); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}

	// max_pending counts the node's logins not collected, not the others'.
	add(mk("t2", "a", time.Minute), 2, now)
	if _, ok := add(mk("t3", "a", time.Minute), 2, now); ok {
		t.Fatal("a third login on node a with max 2")
	}
	if _, ok := add(mk("t4", "b", time.Minute), 2, now); !ok {
		t.Fatal("node b refused for node a's logins")
	}

	// Which of many are pending, in batches: unknown keys are not.
	defer func(n int) { mobileBatch = n }(mobileBatch)
	mobileBatch = 2
	pend, err := s.PendingMobileLogins(ctx, []string{HashToken("t1"), HashToken("x"), HashToken("t2"), HashToken("t4"), HashToken("y")})
	if err != nil || len(pend) != 3 || !pend[HashToken("t1")] || !pend[HashToken("t2")] || !pend[HashToken("t4")] {
		t.Fatalf("pending: %v %v", pend, err)
	}

	// A collect before the answer does nothing.
	if ok, err := s.CollectMobileLogin(ctx, HashToken("t1")); ok || err != nil {
		t.Fatalf("collect while pending: %v %v", ok, err)
	}
	// A verdict is an account or a refusal, not both, not neither.
	for _, v := range [][2]string{{"", ""}, {"kim01", "E-131"}} {
		if _, err := s.AnswerMobileLogin(ctx, HashToken("t1"), v[0], v[1], ""); !errors.Is(err, ErrInvalid) {
			t.Errorf("verdict %q: %v", v, err)
		}
	}
	// Eight answers at once: one is recorded.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			user, code := "kim01", ""
			if i%2 == 1 {
				user, code = "", "E-131"
			}
			ok, err := s.AnswerMobileLogin(ctx, HashToken("t1"), user, code, "declined")
			if err != nil {
				t.Error(err)
			}
			if ok {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d answers recorded", wins.Load())
	}
	if pend, err := s.PendingMobileLogins(ctx, []string{HashToken("t1"), HashToken("t2")}); err != nil || len(pend) != 1 || !pend[HashToken("t2")] {
		t.Fatalf("pending after t1's answer: %v %v", pend, err)
	}
	got, _ = s.GetMobileLogin(ctx, HashToken("t1"))
	if got.State != MobileAnswered || (got.VerdictUser == "") == (got.VerdictCode == "") {
		t.Fatalf("answered: %+v", got)
	}
	wins.Store(0)
	for range 4 {
		wg.Go(func() {
			if ok, err := s.CollectMobileLogin(ctx, HashToken("t1")); err != nil {
				t.Error(err)
			} else if ok {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d collections", wins.Load())
	}
	if ok, _ := s.AnswerMobileLogin(ctx, HashToken("t1"), "kim01", "", ""); ok {
		t.Fatal("a collected login answered again")
	}
	if ok, _ := s.AnswerMobileLogin(ctx, HashToken("nope"), "kim01", "", ""); ok {
		t.Fatal("an unknown login answered")
	}

	// Node a's collected login no longer counts; pruning drops it.
	if _, ok := add(mk("t5", "a", time.Minute), 2, now); !ok {
		t.Fatal("node a full after a collection")
	}
	if _, err := s.GetMobileLogin(ctx, HashToken("t1")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("collected login kept: %v", err)
	}
	// t2 answered, t4 and t5 pending: past their expiry t4 and t5 are
	// returned as expired (each to one of two pruners), t2 stays until the
	// grace passed.
	if ok, _ := s.AnswerMobileLogin(ctx, HashToken("t2"), "kim01", "", ""); !ok {
		t.Fatal("answering t2")
	}
	later := now.Add(time.Minute + time.Second)
	var expired [2][]MobileLogin
	for i := range 2 {
		wg.Go(func() {
			var err error
			if expired[i], err = s.PruneMobileLogins(ctx, grace, later); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	all := append(expired[0], expired[1]...)
	keys := map[string]bool{}
	for _, l := range all {
		keys[l.Key] = true
	}
	if len(all) != 2 || !keys[HashToken("t5")] || !keys[HashToken("t4")] {
		t.Fatalf("expired: %+v", all)
	}
	if _, err := s.GetMobileLogin(ctx, HashToken("t2")); err != nil {
		t.Fatalf("answered login dropped within its grace: %v", err)
	}
	if exp, _ := s.PruneMobileLogins(ctx, grace, later.Add(grace)); len(exp) != 0 {
		t.Fatalf("an answered login reported expired: %+v", exp)
	}
	if _, err := s.GetMobileLogin(ctx, HashToken("t2")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("answered login kept past its grace: %v", err)
	}
}
