package gateway

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore/certgen"
	"github.com/opensvpn/svpn/gateway/password"
	"github.com/opensvpn/svpn/gateway/store"
	"github.com/opensvpn/svpn/internal/loadgen"
	"github.com/opensvpn/svpn/internal/pgserver"
	"github.com/opensvpn/svpn/internal/pgserver/pgtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

// newNode is a harness on a shared PostgreSQL database: one node of a
// cluster, with its own API, peers and name.
func newNode(t testing.TB, dsn, name string, mutate func(*Config)) *harness {
	t.Helper()
	return newHarness(t, func(c *Config) {
		c.Store, c.Node = dsn, name
		if mutate != nil {
			mutate(c)
		}
	})
}

// runNodes runs run (the node's loops: (*Server).Run, or only its cluster
// part) on each node until the test ends, and returns their context.
func runNodes(t testing.TB, run func(*Server, context.Context), nodes ...*harness) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, n := range nodes {
		wg.Go(func() { run(n.srv, ctx) })
	}
	t.Cleanup(func() { cancel(); wg.Wait() })
	return ctx
}

// waitFor polls cond every 20 ms until it holds or d passes.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cond()
}

// A kick made through node B (or the admin CLI, which writes the store the
// same way) removes the peer node A holds within 2 s, by notification: A
// runs no reconcile loop here.
func TestClusterKickReachesOtherNode(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	a, b := newNode(t, dsn, "a", nil), newNode(t, dsn, "b", nil)
	ctx := runNodes(t, (*Server).runCluster, a)

	acct := a.addUser("kim01", "pw-Kim01!x", false, nil, certgen.UserOptions{Name: "김철수"})
	// Give the listener its connection: a notification sent before LISTEN
	// is lost (the reconcile loop would catch it, not what is tested).
	if !waitFor(5*time.Second, func() bool { n, err := a.st.GetNode(ctx, "a"); return err == nil && !n.HeartbeatAt.IsZero() }) {
		t.Fatal("node a never heartbeated")
	}
	time.Sleep(300 * time.Millisecond)
	resp, err := a.login(acct)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := a.peers.has(acct.wg.Public()); !ok {
		t.Fatal("no peer on node a after login")
	}
	start := time.Now()
	ended, err := b.st.EndUserSessions(ctx, "kim01", api.EndKicked, time.Now())
	if err != nil || len(ended) != 1 || ended[0].ID != resp.SessionID {
		t.Fatalf("kick: %v, %v", ended, err)
	}
	if !waitFor(2*time.Second, func() bool { _, ok := a.peers.has(acct.wg.Public()); return !ok }) {
		t.Fatal("node a still holds the kicked session's peer after 2 s")
	}
	t.Logf("peer removed %v after the kick", time.Since(start).Round(time.Millisecond))
}

// A client whose node goes away resumes its session on another node: same
// address and key, no new login, and the first node drops the peer.
func TestClusterResume(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	a, b := newNode(t, dsn, "a", nil), newNode(t, dsn, "b", nil)
	ctx := runNodes(t, (*Server).runCluster, a)
	acct := a.addUser("lee01", "pw-Lee01!x", false, nil, certgen.UserOptions{Name: "이영희"})
	time.Sleep(300 * time.Millisecond)
	resp, err := a.login(acct)
	if err != nil {
		t.Fatal(err)
	}
	got, err := b.client.Resume(ctx, resp.SessionToken)
	if err != nil {
		t.Fatal(err)
	}
	if got.Tunnel.Address != resp.Tunnel.Address || got.SessionID != resp.SessionID || got.SessionToken != "" {
		t.Errorf("resumed %+v; logged in %+v", got, resp)
	}
	if addr, ok := b.peers.has(acct.wg.Public()); !ok || addr.String()+"/32" != resp.Tunnel.Address {
		t.Errorf("node b peer: %v %v", addr, ok)
	}
	if !waitFor(2*time.Second, func() bool { _, ok := a.peers.has(acct.wg.Public()); return !ok }) {
		t.Error("node a kept the peer of the session that moved")
	}
	sess, _ := b.st.GetSession(ctx, resp.SessionID)
	if sess.Node != "b" || !sess.Active() {
		t.Errorf("stored session: %+v", sess)
	}
	// Heartbeats go on at b with the same token.
	if _, err := b.client.Heartbeat(ctx, resp.SessionToken); err != nil {
		t.Errorf("heartbeat at b: %v", err)
	}
	// An unknown token, or an ended session, does not resume.
	_, err = b.client.Resume(ctx, "not-a-token")
	wantCode(t, err, api.CodeUnauthorized)
	if _, err := a.st.EndSession(ctx, resp.SessionID, api.EndKicked, time.Now()); err != nil {
		t.Fatal(err)
	}
	_, err = a.client.Resume(ctx, resp.SessionToken)
	wantCode(t, err, api.CodeSessionEnded)
	if _, ok := a.peers.has(acct.wg.Public()); ok {
		t.Error("an ended session was resumed")
	}
}

// A draining node takes no challenge, login or resume, and tells its
// clients to move at their next heartbeat.
func TestClusterDrain(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	a := newNode(t, dsn, "a", nil)
	ctx := context.Background()
	acct := a.addUser("park01", "pw-Park01!x", false, nil, certgen.UserOptions{Name: "박민수"})
	resp, err := a.login(acct)
	if err != nil {
		t.Fatal(err)
	}
	a.srv.nodeHeartbeat(ctx, true)
	if err := a.st.SetNodeDraining(ctx, "a", true); err != nil {
		t.Fatal(err)
	}
	a.srv.nodeHeartbeat(ctx, false)
	if !a.srv.Draining() {
		t.Fatal("node did not learn it drains")
	}
	_, err = a.client.Heartbeat(ctx, resp.SessionToken)
	wantCode(t, err, api.CodeNodeDraining)
	_, err = a.client.Resume(ctx, resp.SessionToken)
	wantCode(t, err, api.CodeNodeDraining)
	lc, err := a.client.OpenLogin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	_, err = lc.Challenge(ctx, acct.id, acct.wg.Public().String())
	wantCode(t, err, api.CodeNodeDraining)
	// Its session is still alive for another node to take.
	if s, _ := a.st.GetSession(ctx, resp.SessionID); !s.Active() {
		t.Error("draining ended the session")
	}
	// A restart serves again.
	a.srv.nodeHeartbeat(ctx, true)
	if a.srv.Draining() {
		t.Error("restarted node still draining")
	}
}

// Beyond what it can check within the budget, a node answers challenges
// rate_limited with 503 and Retry-After instead of queueing them.
func TestAdmissionChallenge(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.LoginQueueBudget = Duration(time.Second) })
	// 100 ms a login: 10 fit in the 1 s budget.
	h.srv.admit = newAdmission(100*time.Millisecond, time.Second, 100)
	h.srv.admit.samples = measured
	// The clock stands still: the bucket refills one place per 100 ms, and
	// how many of 30 requests fall into that depends on the machine's speed.
	stopped := time.Now()
	h.srv.admit.now = func() time.Time { return stopped }
	body := `{"user_id":"kim01","wg_public_key":"` + mustKey(t).Public().String() + `"}`
	var ok, limited int
	for range 30 {
		req, _ := http.NewRequest("POST", h.baseURL()+api.PathChallenge, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := h.httpClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK:
			ok++
		case http.StatusServiceUnavailable:
			limited++
			if resp.Header.Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
		default:
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	if ok != 10 || limited != 20 {
		t.Errorf("%d challenges served, %d limited; want 10 served, 20 limited", ok, limited)
	}
}

// Logins already in flight beyond the budget are refused, and the place is
// given back when a login is answered; the rate the node shows under load
// sizes the queue.
func TestAdmissionLogin(t *testing.T) {
	a := newAdmission(100*time.Millisecond, time.Second, 100) // 10 fit
	a.samples = measured
	var dones []func()
	for i := range 12 {
		done, retry, ok := a.login()
		if ok != (i < 10) {
			t.Fatalf("login %d admitted=%v", i, ok)
		}
		if ok {
			dones = append(dones, done)
		} else if retry < 1 || retry > maxRetryAfter {
			t.Errorf("retry after %d", retry)
		}
	}
	dones[0]()
	dones[0]() // twice is once
	if d, _, ok := a.login(); !ok {
		t.Error("place not given back")
	} else {
		dones[0] = d
	}
	if _, _, ok := a.login(); ok {
		t.Error("done counted twice")
	}
	// Answered 1 ms apart under load: the node is faster than estimated,
	// and takes more.
	for _, d := range dones[:9] {
		time.Sleep(time.Millisecond)
		d()
	}
	a.mu.Lock()
	interval := a.interval
	a.mu.Unlock()
	if interval >= 100*time.Millisecond {
		t.Errorf("interval %v after fast answers", interval)
	}
	n := 0
	for ; n < 100; n++ {
		if _, _, ok := a.login(); !ok {
			break
		}
	}
	if n <= 9 {
		t.Errorf("admitted %d more after faster answers", n)
	}
	// A queue far beyond the budget is told to come back, but not in hours.
	slow := newAdmission(10*time.Second, time.Second, 100)
	if _, retry, ok := slow.login(); ok || retry != 9 {
		t.Errorf("slow node: admitted %v, retry %d", ok, retry)
	}
	slow.inflight = 1000
	if _, retry, _ := slow.login(); retry != maxRetryAfter {
		t.Errorf("retry %d, want the cap", retry)
	}
}

// Until the node's rate is measured, the challenge bucket holds only
// slowStart places.
func TestAdmissionSlowStart(t *testing.T) {
	a := newAdmission(time.Microsecond, 10*time.Second, 3) // an estimate that would admit thousands
	now := time.Now()
	for i := range 3 {
		if _, ok := a.challenge(now); !ok {
			t.Fatalf("challenge %d refused within the slow start", i)
		}
	}
	if retry, ok := a.challenge(now); ok || retry != 1 {
		t.Errorf("4th challenge: admitted %v, retry %d", ok, retry)
	}
	// Clients refused one after the other are told to come back one
	// interval apart, not all at the same second.
	spread := newAdmission(400*time.Millisecond, 400*time.Millisecond, 1)
	spread.challenge(now)
	var last int
	for i := range 10 {
		retry, ok := spread.challenge(now)
		if ok || retry < last || retry > maxRetryAfter {
			t.Fatalf("refusal %d: admitted %v, retry %d after %d", i, ok, retry, last)
		}
		last = retry
	}
	if last < 4 {
		t.Errorf("the 10th refused client comes back after %d s, with the 1st", last)
	}
	var dones []func()
	for range 3 {
		d, _, _ := a.login()
		dones = append(dones, d)
	}
	for a.samples < measured {
		dones[0]()
		d, _, ok := a.login()
		if !ok {
			t.Fatal("a place given back was not taken")
		}
		dones[0] = d
	}
	if n := a.burstLocked(); n <= 3 {
		t.Errorf("challenge burst %d after the rate was measured", n)
	}
}

// loadUsers creates n accounts with certificates of the test PKI (one key
// for all, so issuing them is quick) and one password.
func loadUsers(t testing.TB, st *store.Store, pki *certgen.PKI, n int, params password.Params) []loadgen.User {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader) // cheap signatures: the point is the store
	if err != nil {
		t.Fatal(err)
	}
	const pw = "Load-test-1!"
	hash, err := password.Hash(pw, params)
	if err != nil {
		t.Fatal(err)
	}
	users := make([]loadgen.User, n)
	for i := range users {
		id := fmt.Sprintf("load%05d", i)
		u, err := pki.Yessign.IssueUser(certgen.UserOptions{Name: "부하" + strconv.Itoa(i), Key: key})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.AddUser(context.Background(), store.User{ID: id, PasswordHash: hash, Cert: CertBindingOf(u.Cert)}); err != nil {
			t.Fatal(err)
		}
		users[i] = loadgen.User{ID: id, Password: pw, Cert: u.Cert, Key: key}
	}
	return users
}

// 1,000 logins at once across 3 nodes: every one succeeds, and no address
// or session is handed out twice (checked in the answers and in the store).
func TestClusterConcurrentLogins(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 logins")
	}
	dsn := pgtest.NewDatabase(t)
	var nodes []*harness
	for _, name := range []string{"a", "b", "c"} {
		nodes = append(nodes, newNode(t, dsn, name, func(c *Config) { c.WG.Address = "10.80.0.1/20" }))
	}
	ctx := runNodes(t, (*Server).Run, nodes...)
	var urls []string
	for _, n := range nodes {
		urls = append(urls, n.baseURL())
	}
	users := loadUsers(t, nodes[0].st, nodes[0].pki, 1000, fastArgon2)
	pool := x509.NewCertPool()
	pool.AddCert(nodes[0].ts.Certificate())
	var retries atomic.Int64
	res, err := loadgen.Run(ctx, loadgen.Options{URLs: urls, GatewayID: nodes[0].cfg.GatewayID, RootCAs: pool, Users: users,
		Concurrency: 1000, Timeout: time.Minute, MaxDuration: 4 * time.Minute, Sources: 100,
		OnRetry: func(user string, err error, wait time.Duration) {
			if n := retries.Add(1); n <= 5 || n%100 == 0 {
				t.Logf("retry %d: %s: %v; waiting %v", n, user, err, wait)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ok %d, retried %d, p50 %.0f ms, p99 %.0f ms, %.1f logins/s", res.OK, res.Retried, res.P50ms, res.P99ms, res.LoginsPerS)
	if res.OK != 1000 || res.DuplicateAddresses != 0 || res.DuplicateKeys != 0 {
		t.Fatalf("ok %d, duplicate addresses %d, keys %d; errors %v", res.OK, res.DuplicateAddresses, res.DuplicateKeys, res.Errors)
	}
	active, err := nodes[1].st.ListActiveSessions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	addrs, keys, perNode := map[netip.Addr]bool{}, map[string]bool{}, map[string]int{}
	for _, s := range active {
		if addrs[s.TunnelAddr] || keys[s.PublicKey] {
			t.Errorf("session %s: address %v or key %s held twice", s.ID, s.TunnelAddr, s.PublicKey)
		}
		addrs[s.TunnelAddr], keys[s.PublicKey] = true, true
		perNode[s.Node]++
	}
	if len(active) != 1000 || perNode["a"] == 0 || perNode["b"] == 0 || perNode["c"] == 0 {
		t.Errorf("%d active sessions, per node %v", len(active), perNode)
	}
	// Each node holds exactly the peers of its sessions.
	for _, n := range nodes {
		if got := n.srv.ActiveSessions(); got != perNode[n.cfg.Node] {
			t.Errorf("node %s holds %d peers, has %d sessions", n.cfg.Node, got, perNode[n.cfg.Node])
		}
	}
}

// The CRL refresh runs on one node at a time: the CA's server never sees
// two fetches at once, fewer fetches than nodes per round, and every node
// ends up with the new CRL (from the copy the fetching node stored).
func TestClusterCRLRefreshOneAtATime(t *testing.T) {
	pki := sharedPKI(t)
	var inFlight, most, fetches atomic.Int64
	crl := atomic.Pointer[[]byte]{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		fetches.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(150 * time.Millisecond) // a slow CA server: overlaps would show
		w.Write(*crl.Load())
	}))
	defer srv.Close()
	now := time.Now()
	first := makeCRL(t, pki.Yessign, 1, now.Add(-time.Hour), now.Add(24*time.Hour))
	crl.Store(&first)
	dsn := pgtest.NewDatabase(t)
	var nodes []*harness
	for _, name := range []string{"a", "b", "c"} {
		nodes = append(nodes, newNode(t, dsn, name, func(c *Config) {
			c.CRLURLs, c.CRLRefresh = []string{srv.URL}, Duration(time.Minute)
		}))
	}
	most.Store(0)
	fetches.Store(0)
	ctx := context.Background()
	for round := int64(2); round <= 4; round++ {
		for _, n := range nodes {
			n.clock.Advance(time.Minute) // a refresh interval later
		}
		der := makeCRL(t, pki.Yessign, round, now.Add(time.Duration(round)*time.Minute), now.Add(24*time.Hour))
		crl.Store(&der)
		var wg sync.WaitGroup
		for _, n := range nodes {
			wg.Go(func() { n.srv.refreshCRLs(ctx) })
		}
		wg.Wait()
		// A node that found the job taken read the stored copy, which the
		// fetching node may have written after that read: the next round
		// catches up, as the next tick would.
		for _, n := range nodes {
			n.srv.refreshCRLs(ctx)
		}
		for _, n := range nodes {
			n.srv.crls.mu.RLock()
			l := n.srv.crls.sources[0].list
			n.srv.crls.mu.RUnlock()
			if l == nil || l.Number.Int64() != round {
				t.Errorf("round %d: node %s holds CRL %v", round, n.cfg.Node, l)
			}
		}
	}
	if most.Load() != 1 {
		t.Errorf("%d fetches at once", most.Load())
	}
	if fetches.Load() != 3 {
		t.Errorf("%d fetches in 3 rounds of 3 nodes; want one a round", fetches.Load())
	}
}

// PostgreSQL restarted under running nodes: they recover without a restart
// of their own (heartbeats, logins, and kick notifications work again) and
// no session is lost.
func TestClusterPostgresRestart(t *testing.T) {
	pg := pgtest.Private(t, pgserver.Options{})
	dsn := pg.DSN()
	a, b := newNode(t, dsn, "a", nil), newNode(t, dsn, "b", nil)
	ctx := runNodes(t, (*Server).runCluster, a, b)
	kim := a.addUser("kim02", "pw-Kim02!x", false, nil, certgen.UserOptions{Name: "김철수"})
	lee := a.addUser("lee02", "pw-Lee02!x", false, nil, certgen.UserOptions{Name: "이영희"})
	rk, err := a.login(kim)
	if err != nil {
		t.Fatal(err)
	}

	if err := pg.Restart(); err != nil {
		t.Fatal(err)
	}
	// The pools reconnect on their own; the listener within a second.
	_, err = b.login(lee)
	for i := 0; err != nil && i < 50; i++ {
		time.Sleep(100 * time.Millisecond)
		_, err = b.login(lee)
	}
	if err != nil {
		t.Fatalf("login after the restart: %v", err)
	}
	if _, err := a.client.Heartbeat(ctx, rk.SessionToken); err != nil {
		t.Errorf("the session from before the restart: %v", err)
	}
	if _, ok := a.peers.has(kim.wg.Public()); !ok {
		t.Error("node a lost the peer of the session from before the restart")
	}
	beat := time.Now()
	if !waitFor(3*NodeHeartbeatInterval, func() bool {
		n, err := a.st.GetNode(ctx, "a")
		return err == nil && n.HeartbeatAt.After(beat.Add(-time.Second))
	}) {
		t.Error("node a heartbeats no more")
	}
	// Kicks reach the other node again by notification (no reconcile runs
	// here), once its listener is back.
	time.Sleep(1500 * time.Millisecond)
	if _, err := a.st.EndUserSessions(ctx, "lee02", api.EndKicked, time.Now()); err != nil {
		t.Fatal(err)
	}
	if !waitFor(2*time.Second, func() bool { _, ok := b.peers.has(lee.wg.Public()); return !ok }) {
		t.Error("a kick after the restart did not reach node b within 2 s")
	}
	if s, _ := a.st.GetSession(ctx, rk.SessionID); !s.Active() {
		t.Error("a session was lost")
	}
}

// A storm far beyond what a node checks within the clients' timeout: no
// login fails by timeout; the surplus is told rate_limited and comes back.
func TestStormNoTimeouts(t *testing.T) {
	if testing.Short() {
		t.Skip("a storm")
	}
	if raceDetector {
		// The clients' timeouts are a person's; under the detector the
		// node serves a fraction of its logins and the storm measures it.
		t.Skip("a storm measures the node's speed: not under the race detector (make test runs it without)")
	}
	cost := password.Params{Memory: 8 << 10, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
	h := newHarness(t, func(c *Config) {
		c.Argon2, c.LoginQueueBudget = cost, Duration(1500*time.Millisecond)
		c.WG.Address = "10.81.0.1/22"
	})
	users := loadUsers(t, h.st, h.pki, 200, cost)
	pool := x509.NewCertPool()
	pool.AddCert(h.ts.Certificate())
	res, err := loadgen.Run(context.Background(), loadgen.Options{URLs: []string{h.baseURL()}, GatewayID: h.cfg.GatewayID,
		RootCAs: pool, Users: users, Concurrency: 200, Timeout: 5 * time.Second, MaxDuration: 3 * time.Minute, Sources: 50, MaxRetries: 100})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ok %d, failed_timeout %d, retried %d, p50 %.0f ms, p99 %.0f ms, %.1f logins/s, all in after %.1f s",
		res.OK, res.FailedTimeout, res.Retried, res.P50ms, res.P99ms, res.LoginsPerS, res.ElapsedS)
	if res.FailedTimeout != 0 || res.OK != 200 {
		t.Errorf("ok %d, failed by timeout %d, otherwise %d (%v)", res.OK, res.FailedTimeout, res.FailedOther, res.Errors)
	}
	if res.Retried == 0 {
		t.Error("nothing was refused: the storm was no storm")
	}
}

// Draining a node while logins arrive at it fails none: they go to the
// other node; and the clients already attached are told to move, and do.
func TestClusterDrainUnderLogins(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	a, b := newNode(t, dsn, "a", nil), newNode(t, dsn, "b", nil)
	ctx := runNodes(t, (*Server).Run, a, b)
	users := loadUsers(t, a.st, a.pki, 120, fastArgon2)
	pool := x509.NewCertPool()
	pool.AddCert(a.ts.Certificate())
	opts := loadgen.Options{URLs: []string{a.baseURL()}, GatewayID: a.cfg.GatewayID, RootCAs: pool, Sources: 10}
	// 20 clients attached to a.
	opts.Users = users[:20]
	first, err := loadgen.Run(ctx, opts)
	if err != nil || first.OK != 20 {
		t.Fatalf("attaching clients: %+v %v", first, err)
	}
	// The rest arrive at a (listed first) while it drains.
	opts.URLs, opts.Users, opts.Rate = []string{a.baseURL(), b.baseURL()}, users[20:], 50
	done := make(chan *loadgen.Result)
	go func() {
		res, err := loadgen.Run(ctx, opts)
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	time.Sleep(500 * time.Millisecond)
	if err := a.st.SetNodeDraining(ctx, "a", true); err != nil {
		t.Fatal(err)
	}
	res := <-done
	if res.OK != 100 || res.FailedTimeout+res.FailedOther != 0 {
		t.Errorf("logins during the drain: ok %d, failed %d+%d (%v)", res.OK, res.FailedTimeout, res.FailedOther, res.Errors)
	}
	// The clients on a (attached before, or logged in before a knew it
	// drains) heartbeat, hear node_draining and resume at b.
	tokens := maps.Clone(first.Tokens)
	maps.Copy(tokens, res.Tokens)
	moved := 0
	for user, tok := range tokens {
		sess, err := a.st.SessionByToken(ctx, store.HashToken(tok))
		if err != nil || sess.Node != "a" {
			continue
		}
		if !waitFor(5*time.Second, func() bool {
			_, err := a.client.Heartbeat(ctx, tok)
			return api.CodeOf(err) == api.CodeNodeDraining
		}) {
			t.Fatalf("%s: node a never said it drains", user)
		}
		if _, err := b.client.Resume(ctx, tok); err != nil {
			t.Errorf("%s: resume at b: %v", user, err)
			continue
		}
		moved++
	}
	if moved < 20 || !waitFor(3*time.Second, func() bool { return a.srv.ActiveSessions() == 0 }) {
		t.Errorf("moved %d; node a still holds %d peers", moved, a.srv.ActiveSessions())
	}
	if n, err := nodeSessionCount(ctx, a.st, "a"); err != nil || n != 0 {
		t.Errorf("node a has %d sessions (%v)", n, err)
	}
	if n, err := nodeSessionCount(ctx, a.st, "b"); err != nil || n != 120 || b.srv.ActiveSessions() != 120 {
		t.Errorf("node b has %d sessions, %d peers (%v)", n, b.srv.ActiveSessions(), err)
	}
}

func nodeSessionCount(ctx context.Context, st *store.Store, node string) (int, error) {
	ns, err := st.Nodes(ctx)
	for _, n := range ns {
		if n.ID == node {
			return n.Sessions, err
		}
	}
	return -1, err
}

// A node that stops heartbeating: its sessions wait NodeTakeoverGrace for
// their clients to resume elsewhere, then another node's sweep ends them.
func TestClusterDeadNodeSessionsEnd(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	a, b := newNode(t, dsn, "a", nil), newNode(t, dsn, "b", nil)
	ctx := context.Background()
	kim := a.addUser("kim03", "pw-Kim03!x", false, nil, certgen.UserOptions{Name: "김철수"})
	lee := a.addUser("lee03", "pw-Lee03!x", false, nil, certgen.UserOptions{Name: "이영희"})
	rk, err := a.login(kim)
	if err != nil {
		t.Fatal(err)
	}
	rl, err := a.login(lee)
	if err != nil {
		t.Fatal(err)
	}
	a.srv.nodeHeartbeat(ctx, true) // a's last heartbeat
	// lee's client moves to b in time; kim's never comes back.
	if _, err := b.client.Resume(ctx, rl.SessionToken); err != nil {
		t.Fatal(err)
	}
	b.clock.Advance(NodeTakeoverGrace - time.Second)
	b.srv.Reconcile(ctx)
	if s, _ := b.st.GetSession(ctx, rk.SessionID); !s.Active() {
		t.Fatal("ended within the grace")
	}
	b.clock.Advance(2 * time.Second)
	b.srv.nodeHeartbeat(ctx, true) // b is alive
	b.srv.Reconcile(ctx)
	if s, _ := b.st.GetSession(ctx, rk.SessionID); s.Active() || s.EndReason != api.EndExpired {
		t.Errorf("the dead node's session: %+v", s)
	}
	if s, _ := b.st.GetSession(ctx, rl.SessionID); !s.Active() || s.Node != "b" {
		t.Errorf("the moved session: %+v", s)
	}
}
