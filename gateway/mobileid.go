package gateway

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"sync"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/gateway/store"
	"github.com/opensvpn/svpn/mobileid"
)

// MobileIDConfig is the mobile_id section of the config: login with the
// mobile employee ID (모바일 공무원증). Absent, the gateway refuses such
// logins with mobileid_disabled.
type MobileIDConfig struct {
	// PublicURL is the https origin phones reach the gateway at, put in
	// the QR. Default: the origin svpnd reached it at. Transactions are in
	// the store, so in a cluster every node may share one URL (a load
	// balancer's) or name itself; svpnd collects the verdict from the node
	// that started the login either way.
	PublicURL string `json:"public_url,omitempty"`
	// UserClaim is the credential subject claim holding the SVPN account
	// ID (default "employee_id").
	UserClaim string `json:"user_claim,omitempty"`
	// Issuers are the trusted credential issuers.
	Issuers []MobileIssuer `json:"issuers"`
	// TTL is how long a QR is good (default 3m).
	TTL Duration `json:"ttl,omitempty"`
	// MaxPending bounds the QR logins started on this node and not yet
	// collected (default 4096).
	MaxPending int `json:"max_pending,omitempty"`
}

// MobileIssuer is one trusted issuer: its DID and its P-256 public key
// (PEM file).
type MobileIssuer struct {
	DID     string `json:"did"`
	Name    string `json:"name,omitempty"`
	KeyFile string `json:"key_file"`
}

// secretMobileProfile seeds the verifier's Ed25519 profile key, the same
// on every node.
const secretMobileProfile = "mobileid-profile-ed25519"

// mobileVerifier runs the QR logins of this node. Transactions are rows
// of the store (mobile_logins), so the phone's requests may reach any node
// of a cluster; svpnd's result request is served by the node that started
// the transaction, which learns of an answer recorded elsewhere by polling.
type mobileVerifier struct {
	cfg     MobileIDConfig
	issuers map[string]*ecdsa.PublicKey
	key     ed25519.PrivateKey
	st      *store.Store
	node    string
	wait    time.Duration // how long a result request waits (tests shorten it)
	poll    time.Duration // how often the rows result requests wait on are read

	mu      sync.Mutex
	watches map[string]*mobileWatch // by key: result requests waiting here
	// pollStop stops the poller, which runs while there are watches.
	pollStop chan struct{}
}

// mobileWatch wakes the result requests of this node waiting on one
// transaction when it is answered: at once when this node records the
// answer, at the next poll when another node does.
type mobileWatch struct {
	ch chan struct{}
	n  int
}

// mobilePoll is how often a node reads, in one query, the transactions its
// result requests wait on, which other nodes may answer.
const mobilePoll = 200 * time.Millisecond

// mobileTx is one QR login: bound to svpnd's WireGuard key and to the TLS
// connection that started it, used once.
type mobileTx struct {
	trx          string // the code; "" when only its key is known
	key          string // store.HashToken(trx)
	nonce, short string
	wgPub        string
	userID       string // the account asked for, or "" for any
	binding      []byte // tls-exporter of svpnd's connection
	source       string
	host         string
	node         string
	expires      time.Time
	state        store.MobileState

	// The verdict, once answered.
	err  error // the refusal, or nil with user
	user store.User
}

// id names a transaction in the audit log without its code.
func (t *mobileTx) id() string { return mobileTxID(t.key) }

// mobileTxID is the audit log's name of the transaction of key.
func mobileTxID(key string) string { return key[:12] }

func (t *mobileTx) answered() bool { return t.state != store.MobilePending }

func txFromRow(trx string, l store.MobileLogin) *mobileTx {
	t := &mobileTx{trx: trx, key: l.Key, nonce: l.Nonce, short: l.ShortCode, wgPub: l.WGPublicKey, userID: l.UserID,
		binding: l.Binding, source: l.Source, host: l.Host, node: l.Node, expires: l.ExpiresAt, state: l.State}
	if l.State != store.MobilePending {
		if l.VerdictCode != "" {
			t.err = refuse(api.Code(l.VerdictCode), "%s", l.VerdictMessage)
		} else {
			t.user = store.User{ID: l.VerdictUser}
		}
	}
	return t
}

func newMobileVerifier(ctx context.Context, cfg *MobileIDConfig, st *store.Store, node string) (*mobileVerifier, error) {
	if cfg == nil {
		return nil, nil
	}
	m := &mobileVerifier{cfg: *cfg, issuers: map[string]*ecdsa.PublicKey{}, st: st, node: node,
		wait: api.MobileResultWait, poll: mobilePoll, watches: map[string]*mobileWatch{}}
	if m.cfg.UserClaim == "" {
		m.cfg.UserClaim = "employee_id"
	}
	if m.cfg.TTL == 0 {
		m.cfg.TTL = Duration(api.MobileTTL)
	}
	if m.cfg.MaxPending == 0 {
		m.cfg.MaxPending = 4096
	}
	if m.cfg.PublicURL != "" {
		if err := mobileid.CheckHost(m.cfg.PublicURL); err != nil {
			return nil, fmt.Errorf("mobile_id.public_url: %w", err)
		}
	}
	if len(m.cfg.Issuers) == 0 {
		return nil, errors.New("mobile_id.issuers: no trusted issuer")
	}
	for _, is := range m.cfg.Issuers {
		pub, err := readIssuerKey(is.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("mobile_id.issuers %s: %w", is.DID, err)
		}
		if is.DID == "" {
			return nil, errors.New("mobile_id.issuers: an issuer without did")
		}
		m.issuers[is.DID] = pub
	}
	seed, err := st.Secret(ctx, secretMobileProfile, ed25519.SeedSize)
	if err != nil {
		return nil, err
	}
	m.key = ed25519.NewKeyFromSeed(seed)
	return m, nil
}

// readIssuerKey reads a P-256 public key (PEM "PUBLIC KEY").
func readIssuerKey(path string) (*ecdsa.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("no PEM public key")
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, err
	}
	pub, ok := k.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return nil, errors.New("not a P-256 public key")
	}
	return pub, nil
}

func randomB64(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// shortCode is the 4-digit code the PC shows and the phone displays.
func shortCode() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(10000))
	return fmt.Sprintf("%04d", n.Int64())
}

// add registers a transaction, pruning the table (the expired ones are
// returned, for the audit log). It reports false when too many of this
// node's are waiting.
func (m *mobileVerifier) add(ctx context.Context, t *mobileTx, now time.Time) (expired []*mobileTx, ok bool, err error) {
	t.key, t.node = store.HashToken(t.trx), m.node
	rows, ok, err := m.st.AddMobileLogin(ctx, store.MobileLogin{Key: t.key, Nonce: t.nonce, ShortCode: t.short,
		WGPublicKey: t.wgPub, UserID: t.userID, Binding: t.binding, Source: t.source, Host: t.host, Node: t.node,
		ExpiresAt: t.expires}, m.cfg.MaxPending, api.MobileResultWait, now)
	for _, l := range rows {
		expired = append(expired, txFromRow("", l))
	}
	return expired, ok, err
}

// lookup returns the transaction of trx as stored now, nil if none.
func (m *mobileVerifier) lookup(ctx context.Context, trx string) (*mobileTx, error) {
	if trx == "" {
		return nil, nil
	}
	l, err := m.st.GetMobileLogin(ctx, store.HashToken(trx))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return txFromRow(trx, l), nil
}

// claim returns the pending transaction of trx for the phone's answer. An
// unknown or answered one is refused; an expired one is answered as
// expired (by the first node to see it so).
func (m *mobileVerifier) claim(ctx context.Context, trx string, now time.Time) (*mobileTx, error) {
	t, err := m.lookup(ctx, trx)
	if err != nil {
		return nil, internalError(err)
	}
	switch {
	case t == nil || t.answered():
		return nil, errMobileUnknown()
	case now.After(t.expires):
		expired := errMobileExpired()
		if ok, err := m.settle(ctx, t, store.User{}, expired); err != nil {
			return nil, internalError(err)
		} else if !ok {
			return nil, errMobileUnknown()
		}
		return nil, expired
	}
	return t, nil
}

func errMobileUnknown() error {
	return refuse(api.CodeMobileUnknownTransaction, "no such transaction, or one already answered")
}

func errMobileExpired() error { return refuse(api.CodeMobileExpired, "the QR code expired") }

// settle records the verdict of a pending transaction and wakes svpnd's
// request if it waits on this node. It reports false when the transaction
// was answered meanwhile (on any node): the verdict then is not this one.
func (m *mobileVerifier) settle(ctx context.Context, t *mobileTx, user store.User, verdict error) (bool, error) {
	userID, code, msg := user.ID, "", ""
	if verdict != nil {
		r := asRefusal(verdict)
		userID, code, msg = "", string(r.resp.Code), r.resp.Message
	}
	ok, err := m.st.AnswerMobileLogin(ctx, t.key, userID, code, msg)
	if err != nil || !ok {
		return false, err
	}
	t.state, t.user, t.err = store.MobileAnswered, user, verdict
	m.mu.Lock()
	m.wakeLocked(t.key)
	m.mu.Unlock()
	return true, nil
}

// wakeLocked wakes the requests waiting on the transaction of key.
func (m *mobileVerifier) wakeLocked(key string) {
	if w := m.watches[key]; w != nil {
		close(w.ch)
		m.dropLocked(key)
	}
}

// dropLocked forgets the watch of key, stopping the poller after the last.
func (m *mobileVerifier) dropLocked(key string) {
	delete(m.watches, key)
	if len(m.watches) == 0 && m.pollStop != nil {
		close(m.pollStop)
		m.pollStop = nil
	}
}

// pollLoop wakes, every m.poll, the requests waiting on transactions that
// are no longer pending (answered on another node, or gone).
func (m *mobileVerifier) pollLoop(stop <-chan struct{}) {
	tick := time.NewTicker(m.poll)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		m.mu.Lock()
		keys := make([]string, 0, len(m.watches))
		for k := range m.watches {
			keys = append(keys, k)
		}
		m.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 5*m.poll)
		pending, err := m.st.PendingMobileLogins(ctx, keys)
		cancel()
		if err != nil {
			continue // the requests' own timers still end their wait
		}
		m.mu.Lock()
		for _, k := range keys {
			if !pending[k] {
				m.wakeLocked(k)
			}
		}
		m.mu.Unlock()
	}
}

// watch returns a channel closed when this node answers the transaction
// of key, and the function to call when no longer waiting.
func (m *mobileVerifier) watch(key string) (<-chan struct{}, func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	w := m.watches[key]
	if w == nil {
		w = &mobileWatch{ch: make(chan struct{})}
		m.watches[key] = w
	}
	if m.pollStop == nil {
		m.pollStop = make(chan struct{})
		go m.pollLoop(m.pollStop)
	}
	w.n++
	return w.ch, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if w.n--; w.n == 0 && m.watches[key] == w {
			m.dropLocked(key)
		}
	}
}

// await waits up to d for the pending transaction t to be answered, on
// this node or another, and returns it as last read: still pending when d
// passed or ctx ended first, nil if gone.
func (m *mobileVerifier) await(ctx context.Context, t *mobileTx, d time.Duration) (*mobileTx, error) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		// Watch before reading: an answer recorded after the read wakes.
		woken, release := m.watch(t.key)
		cur, err := m.lookup(ctx, t.trx)
		if err != nil {
			release()
			if ctx.Err() != nil {
				return t, nil
			}
			return nil, err
		}
		if cur == nil || cur.answered() {
			release()
			return cur, nil
		}
		t = cur
		select {
		case <-woken:
			release()
		case <-timer.C:
			release()
			return t, nil
		case <-ctx.Done():
			release()
			return t, nil
		}
	}
}

// collect marks an answered transaction collected: the PC gets its verdict
// once.
func (m *mobileVerifier) collect(ctx context.Context, t *mobileTx) (bool, error) {
	return m.st.CollectMobileLogin(ctx, t.key)
}

func (m *mobileVerifier) issuerKey(did string) *ecdsa.PublicKey { return m.issuers[did] }
