package gateway

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
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
	// PublicURL is the https origin phones reach this node at, put in the
	// QR. Default: the origin svpnd reached it at. A transaction lives on
	// the node that started it, so in a cluster each node names itself
	// here (svpnd keeps its one TLS connection to that node meanwhile).
	PublicURL string `json:"public_url,omitempty"`
	// UserClaim is the credential subject claim holding the SVPN account
	// ID (default "employee_id").
	UserClaim string `json:"user_claim,omitempty"`
	// Issuers are the trusted credential issuers.
	Issuers []MobileIssuer `json:"issuers"`
	// TTL is how long a QR is good (default 3m).
	TTL Duration `json:"ttl,omitempty"`
	// MaxPending bounds the QR logins waiting on this node (default 4096).
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

// mobileVerifier holds the QR logins of this node.
type mobileVerifier struct {
	cfg     MobileIDConfig
	issuers map[string]*ecdsa.PublicKey
	key     ed25519.PrivateKey
	wait    time.Duration // how long a result request waits (tests shorten it)

	mu  sync.Mutex
	txs map[string]*mobileTx
}

// mobileTx is one QR login: bound to svpnd's WireGuard key and to the TLS
// connection that started it, used once.
type mobileTx struct {
	trx, nonce, short string
	wgPub             string
	userID            string // the account asked for, or "" for any
	binding           []byte // tls-exporter of svpnd's connection
	source            string
	host              string
	expires           time.Time

	// Set once, when the phone answers (under mobileVerifier.mu).
	answered bool
	done     chan struct{} // closed when answered
	err      error         // the refusal, or nil with user
	user     store.User
}

// id names a transaction in the audit log without its code.
func (t *mobileTx) id() string {
	h := sha256.Sum256([]byte(t.trx))
	return hex.EncodeToString(h[:6])
}

func newMobileVerifier(ctx context.Context, cfg *MobileIDConfig, st *store.Store) (*mobileVerifier, error) {
	if cfg == nil {
		return nil, nil
	}
	m := &mobileVerifier{cfg: *cfg, issuers: map[string]*ecdsa.PublicKey{}, txs: map[string]*mobileTx{}, wait: api.MobileResultWait}
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

// add registers a transaction, pruning expired ones (returned, for the
// audit log). It fails when too many are pending.
func (m *mobileVerifier) add(t *mobileTx, now time.Time) (expired []*mobileTx, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	expired = m.pruneLocked(now)
	if len(m.txs) >= m.cfg.MaxPending {
		return expired, false
	}
	m.txs[t.trx] = t
	return expired, true
}

func (m *mobileVerifier) pruneLocked(now time.Time) (expired []*mobileTx) {
	for k, t := range m.txs {
		// An approved login not collected within its TTL is dropped too.
		if now.After(t.expires.Add(api.MobileResultWait)) || (!t.answered && now.After(t.expires)) {
			delete(m.txs, k)
			if !t.answered {
				expired = append(expired, t)
			}
		}
	}
	return expired
}

// lookup returns the transaction of trx, nil if none.
func (m *mobileVerifier) lookup(trx string) *mobileTx {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.txs[trx]
}

// answer records the phone's answer, once: it reports false when the
// transaction was unknown, already answered or expired (err then says
// which; an expired one is answered as expired).
func (m *mobileVerifier) answer(trx string, now time.Time) (*mobileTx, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.txs[trx]
	switch {
	case t == nil || t.answered:
		return nil, refuse(api.CodeMobileUnknownTransaction, "no such transaction, or one already answered")
	case now.After(t.expires):
		t.answered, t.err = true, refuse(api.CodeMobileExpired, "the QR code expired")
		close(t.done)
		return nil, t.err
	}
	t.answered = true
	return t, nil
}

// settle publishes the verdict of an answered transaction to the PC.
func (m *mobileVerifier) settle(t *mobileTx, user store.User, err error) {
	m.mu.Lock()
	t.user, t.err = user, err
	m.mu.Unlock()
	close(t.done)
}

// collect removes a settled transaction: the PC gets its verdict once.
func (m *mobileVerifier) collect(t *mobileTx) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.txs[t.trx] != t {
		return false
	}
	delete(m.txs, t.trx)
	return true
}

func (m *mobileVerifier) issuerKey(did string) *ecdsa.PublicKey { return m.issuers[did] }
