package gateway

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"database/sql"
	"encoding/hex"
	"encoding/pem"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/gateway/store"
	"github.com/opensvpn/svpn/internal/pgserver/pgtest"
	"github.com/opensvpn/svpn/mobileid"
	"github.com/opensvpn/svpn/mobileid/phone"
)

// tcpBalancer is the load balancer in front of a cluster: it passes TLS
// through to the node it is pointed at, so one public_url names them all.
type tcpBalancer struct {
	ln     net.Listener
	target atomic.Pointer[string]
	mu     sync.Mutex
	hits   map[string]int // connections passed, by node address
}

func newTCPBalancer(t *testing.T) *tcpBalancer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &tcpBalancer{ln: ln, hits: map[string]int{}}
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	t.Cleanup(func() { ln.Close() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { b.pass(c) })
		}
	})
	return b
}

func (b *tcpBalancer) pass(c net.Conn) {
	defer c.Close()
	addr := *b.target.Load()
	b.mu.Lock()
	b.hits[addr]++
	b.mu.Unlock()
	d, err := net.Dial("tcp", addr)
	if err != nil {
		return
	}
	defer d.Close()
	done := make(chan struct{})
	go func() {
		io.Copy(d, c)
		d.Close()
		close(done)
	}()
	io.Copy(c, d)
	c.Close()
	<-done
}

func (b *tcpBalancer) url() string { return "https://" + b.ln.Addr().String() }

// to sends the connections opened from now on to node h.
func (b *tcpBalancer) to(h *harness) {
	addr := strings.TrimPrefix(h.baseURL(), "https://")
	b.target.Store(&addr)
}

func (b *tcpBalancer) passed(h *harness) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.hits[strings.TrimPrefix(h.baseURL(), "https://")]
}

// mobileCluster is two nodes a and b on one PostgreSQL database, both
// with mobile ID login and the same public_url: the balancer's.
type mobileCluster struct {
	a, b *mobileKit
	lb   *tcpBalancer
	dsn  string
}

func newMobileCluster(t *testing.T) *mobileCluster {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	lb := newTCPBalancer(t)
	issuer := newP256(t)
	pub, _ := x509.MarshalPKIXPublicKey(&issuer.PublicKey)
	keyFile := filepath.Join(t.TempDir(), "issuer.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o644); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	node := func(name string) *mobileKit {
		h := newNode(t, dsn, name, func(c *Config) {
			c.MobileID = &MobileIDConfig{PublicURL: lb.url(), Issuers: []MobileIssuer{{DID: testIssuerDID, KeyFile: keyFile}}}
		})
		h.srv.mobile.wait = 50 * time.Millisecond
		pool.AddCert(h.ts.Certificate())
		return &mobileKit{harness: h, issuer: issuer}
	}
	c := &mobileCluster{a: node("a"), b: node("b"), lb: lb, dsn: dsn}
	ph := phone.New(pool)
	c.a.phone, c.b.phone = ph, ph
	lb.to(c.b.harness)
	return c
}

// advance moves both nodes' clocks.
func (c *mobileCluster) advance(d time.Duration) {
	c.a.clock.Advance(d)
	c.b.clock.Advance(d)
}

// TestMobileClusterSharedURL: svpnd starts the login on node a; the phone,
// sent to node b by the balancer of the one public_url, fetches the profile
// and approves there; svpnd's result request waiting on a learns it by
// polling and completes the login on a.
func TestMobileClusterSharedURL(t *testing.T) {
	c := newMobileCluster(t)
	c.a.addAccount("kim01")
	h := c.a.issue("kim01", c.a.issuer, nil)
	p := c.a.startPC("")
	qr, err := mobileid.ParseRequest(p.start.QR)
	if err != nil || qr.Host != c.lb.url() {
		t.Fatalf("QR %+v %v; want host %s", qr, err, c.lb.url())
	}
	c.a.srv.mobile.wait = 10 * time.Second
	type result struct {
		r   *api.MobileResultResponse
		err error
		at  time.Time
	}
	done := make(chan result, 1)
	go func() {
		r, err := p.result()
		done <- result{r, err, time.Now()}
	}()
	req := c.a.scan(p.start.QR)
	if req.Profile.ShortCode != p.start.ShortCode || req.Profile.Callback != c.lb.url()+api.PathMobilePresentation {
		t.Fatalf("profile: %+v", req.Profile)
	}
	time.Sleep(100 * time.Millisecond) // the result request waits on a
	approved := time.Now()
	if err := c.a.phone.Approve(context.Background(), req, h.key, h.credential); err != nil {
		t.Fatal(err)
	}
	var res result
	select {
	case res = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the result request on a did not learn b's answer within 5 s")
	}
	if res.err != nil || res.r.Status != api.MobileApproved || res.r.Login == nil || res.r.Login.UserID != "kim01" {
		t.Fatalf("result on a: %+v %v", res.r, res.err)
	}
	if d := res.at.Sub(approved); d > 2*time.Second {
		t.Errorf("a learnt the answer %v after it", d)
	}
	if c.lb.passed(c.b.harness) == 0 || c.lb.passed(c.a.harness) != 0 {
		t.Fatalf("the phone's connections: %d to b, %d to a", c.lb.passed(c.b.harness), c.lb.passed(c.a.harness))
	}
	if _, ok := c.a.peers.has(p.key.Public()); !ok {
		t.Fatal("no peer on a")
	}
	if _, ok := c.b.peers.has(p.key.Public()); ok {
		t.Fatal("a peer on b")
	}
	sess, err := c.a.st.GetSession(context.Background(), res.r.Login.SessionID)
	if err != nil || sess.Node != "a" || !sess.Active() {
		t.Fatalf("session %+v %v", sess, err)
	}
	c.a.audited("kim01", "mobileid_approved", "")
	c.a.audited("kim01", "login", "")
	// The verdict is handed over once, and b cannot hand it over at all.
	if _, err := p.result(); api.CodeOf(err) != api.CodeMobileUnknownTransaction {
		t.Fatalf("second collection: %v", err)
	}
}

// TestMobileClusterReplay: the same presentation posted to a and b at once
// (and twice to b) is accepted exactly once; the login completes once.
func TestMobileClusterReplay(t *testing.T) {
	c := newMobileCluster(t)
	c.a.addAccount("kim01")
	h := c.a.issue("kim01", c.a.issuer, nil)
	for round := range 3 {
		p := c.a.startPC("")
		req := c.a.scan(p.start.QR)
		vp := present(t, h, req.Profile)
		urls := []string{c.a.baseURL(), c.b.baseURL(), c.b.baseURL()}
		errs := make([]error, len(urls))
		var wg sync.WaitGroup
		for i, u := range urls {
			wg.Go(func() {
				errs[i] = c.a.phone.PostPresentation(context.Background(), u+api.PathMobilePresentation, p.start.Transaction, vp)
			})
		}
		wg.Wait()
		accepted := 0
		for i, err := range errs {
			switch {
			case err == nil:
				accepted++
			case api.CodeOf(err) != api.CodeMobileUnknownTransaction:
				t.Errorf("round %d, post %d to %s: %v", round, i, urls[i], err)
			}
		}
		if accepted != 1 {
			t.Fatalf("round %d: %d of %d posts accepted (%v)", round, accepted, len(urls), errs)
		}
		if r, err := p.result(); err != nil || r.Status != api.MobileApproved {
			t.Fatalf("round %d: result %+v %v", round, r, err)
		}
	}
	evs, _ := c.a.st.ListAudit(context.Background(), store.AuditFilter{Event: "mobileid_approved"})
	if len(evs) != 3 {
		t.Fatalf("%d approvals audited for 3 logins", len(evs))
	}
}

// TestMobileClusterDeclineAndExpiry: a decline posted to b reaches svpnd on
// a as E-131; an expired QR is refused on b and reported on a.
func TestMobileClusterDeclineAndExpiry(t *testing.T) {
	c := newMobileCluster(t)
	c.a.addAccount("kim01")
	h := c.a.issue("kim01", c.a.issuer, nil)
	ctx := context.Background()

	p := c.a.startPC("")
	if err := c.a.phone.Decline(ctx, c.a.scan(p.start.QR)); err != nil {
		t.Fatal(err)
	}
	if _, err := p.result(); api.CodeOf(err) != api.CodeMobileDeclined {
		t.Fatalf("declined on b, result on a: %v", err)
	}
	c.a.audited("", "mobileid_refused", api.CodeMobileDeclined)

	p = c.a.startPC("kim01")
	req := c.a.scan(p.start.QR)
	c.advance(api.MobileTTL + time.Second)
	if _, err := c.a.phone.Fetch(ctx, req.QR); api.CodeOf(err) != api.CodeMobileExpired {
		t.Fatalf("profile on b after 3 minutes: %v", err)
	}
	if err := c.a.phone.Approve(ctx, req, h.key, h.credential); api.CodeOf(err) != api.CodeMobileExpired {
		t.Fatalf("presentation on b after 3 minutes: %v", err)
	}
	if _, err := p.result(); api.CodeOf(err) != api.CodeMobileExpired {
		t.Fatalf("result on a: %v", err)
	}
	c.a.audited("", "mobileid_refused", api.CodeMobileExpired)

	// Nobody answers: a reports the expiry itself, once audited.
	q := c.a.startPC("kim01")
	c.advance(api.MobileTTL + time.Second)
	if _, err := q.result(); api.CodeOf(err) != api.CodeMobileExpired {
		t.Fatalf("idle PC: %v", err)
	}
	c.a.audited("kim01", "mobileid_refused", api.CodeMobileExpired)
	if c.lb.passed(c.a.harness) != 0 {
		t.Fatal("the phone reached a")
	}
}

// TestMobileClusterCodeNotStored: the table of QR logins holds the SHA-256
// of the transaction code, never the code (the phone's bearer secret).
func TestMobileClusterCodeNotStored(t *testing.T) {
	c := newMobileCluster(t)
	p := c.a.startPC("")
	db, err := sql.Open("pgx", c.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows []string
	var key string
	r, err := db.Query(`SELECT trx_hash, row_to_json(m)::text FROM mobile_logins m`)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var row string
		if err := r.Scan(&key, &row); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(p.start.Transaction))
	if len(rows) != 1 || key != hex.EncodeToString(sum[:]) {
		t.Fatalf("rows %v, key %s", rows, key)
	}
	if strings.Contains(rows[0], p.start.Transaction) {
		t.Fatalf("the transaction code is stored: %s", rows[0])
	}
	if !strings.Contains(rows[0], `"node":"a"`) || !strings.Contains(rows[0], `"short_code":"`+p.start.ShortCode+`"`) {
		t.Fatalf("row: %s", rows[0])
	}
}
