package token

import (
	"context"
	"io"
	"sync"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
)

// Cert is a certificate found on a token.
type Cert struct {
	certstore.Certificate // Kind pkcs11, Location token, Path and KeyPath its pkcs11: URI
	Token                 TokenInfo
	ID                    []byte // CKA_ID, shared by the certificate and its key
	Object                string // CKA_LABEL
	// Unusable says why the certificate cannot sign ("" when it can): no
	// key object with its CKA_ID, or a key that belongs to another
	// certificate.
	Unusable string
}

// CertInfo is how `svpnctl certs list --json` and the picker describe a
// token certificate: the usual fields (location "token", path the pkcs11:
// URI) plus the token's.
type CertInfo struct {
	certstore.Info
	Token             string `json:"token"`
	TokenManufacturer string `json:"token_manufacturer"`
	TokenSerial       string `json:"token_serial"`
	Module            string `json:"pkcs11_module"`
	PINState          string `json:"pin_state"`
	Usable            bool   `json:"usable"`
	Unusable          string `json:"unusable,omitempty"`
}

// Info describes c as of now.
func (c *Cert) Info(now time.Time) CertInfo {
	return CertInfo{Info: c.Certificate.Info(now), Token: c.Token.Label, TokenManufacturer: c.Token.Manufacturer,
		TokenSerial: c.Token.Serial, Module: c.Token.Module.Path, PINState: c.Token.PINState().String(),
		Usable: c.Unusable == "", Unusable: c.Unusable}
}

// Result is what a listing found: the tokens present, their certificates,
// and the modules that failed (each error names its module).
type Result struct {
	Tokens       []TokenInfo
	Certificates []*Cert
	Errors       []error
}

// DefaultTimeout bounds a module's initialisation, in the probe and here.
const DefaultTimeout = 10 * time.Second

// Manager finds tokens through the allowed modules and logs in to them. It
// keeps one module context at a time per module, and at most one
// logged-in identity per module: PKCS#11 login state is per token and
// process, so a second login while one is open would "succeed" with any
// PIN. A Manager is safe for concurrent use.
type Manager struct {
	policy  Policy
	timeout time.Duration

	mu     sync.Mutex
	probed map[probeKey]error   // modules initialised in a child process, and how
	live   map[string]*Identity // by module path
}

// NewManager returns a manager for the modules policy allows; timeout
// bounds each module's initialisation (0: DefaultTimeout).
func NewManager(p Policy, timeout time.Duration) *Manager {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Manager{policy: p, timeout: timeout, probed: map[probeKey]error{}, live: map[string]*Identity{}}
}

// Policy is the manager's policy.
func (m *Manager) Policy() Policy { return m.policy }

// List finds every token present in the allowed modules and the X.509
// certificates on them (CA certificates are left out: trust stores are not
// tokens). A module that is missing, crashes or hangs is reported in
// Errors and the others are still listed.
func (m *Manager) List(ctx context.Context) Result { return m.list(ctx) }

// Unlock logs in with pin to the token the URI names and returns the
// certificate with a signer whose key stays on the token. Close it once
// the login is done.
func (m *Manager) Unlock(ctx context.Context, uri string, pin []byte) (*Identity, error) {
	u, err := ParseURI(uri)
	if err != nil {
		return nil, err
	}
	return m.unlock(ctx, u, pin)
}

// Identity is a token certificate logged in to: a login.Signer.
type Identity struct {
	*certstore.Identity
	Cert *Cert

	m      *Manager
	closer io.Closer
	once   sync.Once
}

// Sign signs on the token. A token pulled out meanwhile is token_removed.
func (id *Identity) Sign(rand io.Reader, msg []byte, alg api.SignatureAlgorithm) ([]byte, api.SignatureAlgorithm, error) {
	sig, a, err := id.Identity.Sign(rand, msg, alg)
	if err != nil {
		return nil, "", classify("signing on the token", err)
	}
	return sig, a, nil
}

// Close logs out and releases the module.
func (id *Identity) Close() error {
	var err error
	id.once.Do(func() { err = id.close() })
	return err
}
