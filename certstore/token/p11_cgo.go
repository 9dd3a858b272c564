//go:build cgo

package token

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/ThalesGroup/crypto11"
	"github.com/miekg/pkcs11"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
)

// probeKey is a module file as it was when probed: a replaced file is
// probed again.
type probeKey struct {
	path  string
	size  int64
	mtime time.Time
}

// probeArg makes the program a module probe (see init).
const probeArg = "--svpn-pkcs11-probe"

// The probe's exit codes besides 0. Not 1-4: Go's runtime exits 2 on a
// fatal signal and Windows' abort() exits 3, and those are crashes.
const (
	probeNotLoaded  = 113 // not a PKCS#11 module
	probeInitFailed = 114 // C_Initialize or C_GetSlotList returned an error
)

// init turns any program linking this package, started as
// `<program> --svpn-pkcs11-probe MODULE`, into the child that initialises
// MODULE once and exits: 0 when it initialised, probeNotLoaded or
// probeInitFailed when it did not. A driver that crashes kills only this
// child.
func init() {
	if len(os.Args) == 3 && os.Args[1] == probeArg {
		os.Exit(runProbe(os.Args[2]))
	}
}

func runProbe(path string) int {
	c := pkcs11.New(path)
	if c == nil {
		fmt.Fprintf(os.Stderr, "cannot load %s as a PKCS#11 module\n", path)
		return probeNotLoaded
	}
	if err := c.Initialize(); err != nil {
		fmt.Fprintf(os.Stderr, "C_Initialize: %v\n", err)
		return probeInitFailed
	}
	_, err := c.GetSlotList(true)
	_ = c.Finalize()
	c.Destroy()
	if err != nil {
		fmt.Fprintf(os.Stderr, "C_GetSlotList: %v\n", err)
		return probeInitFailed
	}
	return 0
}

func ckrFromLib(err error) (uint, bool) {
	var e pkcs11.Error
	if errors.As(err, &e) {
		return uint(e), true
	}
	return 0, false
}

// Supported reports whether this build can use security tokens.
func Supported() bool { return true }

// probe initialises mod once in a child process (this program,
// re-executed), bounded by the manager's timeout. Successes are
// remembered for the file as it is; failures are tried again next time (a
// token driver may recover once the token is plugged in again).
func (m *Manager) probe(ctx context.Context, mod Module) error {
	st, err := os.Stat(mod.Path)
	if err != nil {
		return api.Errorf(api.CodeTokenModuleFailed, "PKCS#11 module %s: %w", mod.Path, err)
	}
	key := probeKey{path: mod.Path, size: st.Size(), mtime: st.ModTime()}
	if err, ok := m.probed[key]; ok {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return api.Errorf(api.CodeTokenModuleFailed, "PKCS#11 module %s: cannot start the probe: %w", mod.Path, err)
	}
	pctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	path, f, err := loadPath(mod)
	if err != nil {
		return err
	}
	if f != nil {
		defer f.Close()
		path = childLoadPath
	}
	cmd := exec.CommandContext(pctx, exe, probeArg, path)
	if f != nil {
		cmd.ExtraFiles = []*os.File{f}
	}
	var stderr limitedBuffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = time.Second
	err = cmd.Run()
	switch {
	case err == nil:
		m.probed[key] = nil
		return nil
	case errors.Is(pctx.Err(), context.DeadlineExceeded):
		return api.Errorf(api.CodeTokenModuleTimeout, "PKCS#11 module %s did not initialise within %s", mod.Path, m.timeout)
	case ctx.Err() != nil:
		return ctx.Err()
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return api.Errorf(api.CodeTokenModuleFailed, "PKCS#11 module %s crashed while initialising (%v)", mod.Path, ws.Signal())
		}
		msg := strings.TrimSpace(stderr.String())
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		if ee.ExitCode() != probeNotLoaded && ee.ExitCode() != probeInitFailed {
			// The Go runtime of the child turns a crash in C into exit 2.
			for line := range strings.SplitSeq(stderr.String(), "\n") {
				if strings.HasPrefix(line, "SIG") {
					msg = line
					break
				}
			}
			return api.Errorf(api.CodeTokenModuleFailed, "PKCS#11 module %s crashed while initialising (exit %d: %s)", mod.Path, ee.ExitCode(), msg)
		}
		return api.Errorf(api.CodeTokenModuleFailed, "PKCS#11 module %s: %s", mod.Path, msg)
	}
	return api.Errorf(api.CodeTokenModuleFailed, "PKCS#11 module %s: probe: %w", mod.Path, err)
}

// limitedBuffer keeps the first 4 KiB a probe writes.
type limitedBuffer struct{ bytes.Buffer }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := 4096 - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// withTimeout runs f, which calls into a module, and gives up after the
// manager's timeout. C code cannot be interrupted: a hung call keeps its
// goroutine, and done (when given) releases what f returns if it ever
// does, so the caller and the app go on.
func withTimeout[T any](ctx context.Context, m *Manager, mod Module, f func() (T, error), done func(T)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := f()
		ch <- result{v, err}
	}()
	t := time.NewTimer(m.timeout)
	defer t.Stop()
	var zero T
	select {
	case r := <-ch:
		return r.v, r.err
	case <-t.C:
	case <-ctx.Done():
	}
	go func() {
		if r := <-ch; r.err == nil && done != nil {
			done(r.v)
		}
	}()
	if ctx.Err() != nil {
		return zero, ctx.Err()
	}
	return zero, api.Errorf(api.CodeTokenModuleTimeout, "PKCS#11 module %s did not answer within %s", mod.Path, m.timeout)
}

// session is a module loaded in this process, for reading tokens.
type session struct {
	c     *pkcs11.Ctx
	owned bool     // this context initialised the module, so it finalises it
	file  *os.File // the pinned module's file it was loaded through (loadPath)
}

func (s *session) release() {
	if s.owned {
		_ = s.c.Finalize()
	}
	s.c.Destroy()
	if s.file != nil {
		s.file.Close()
	}
}

// open loads mod here (after its probe). A module already initialised in
// this process (an Identity is open) is shared, not finalised.
func (m *Manager) open(ctx context.Context, mod Module) (*session, error) {
	if err := m.probe(ctx, mod); err != nil {
		return nil, err
	}
	return withTimeout(ctx, m, mod, func() (*session, error) {
		path, f, err := loadPath(mod)
		if err != nil {
			return nil, err
		}
		c := pkcs11.New(path)
		if c == nil {
			if f != nil {
				f.Close()
			}
			return nil, api.Errorf(api.CodeTokenModuleFailed, "cannot load %s as a PKCS#11 module", mod.Path)
		}
		err = c.Initialize()
		if err == nil {
			return &session{c: c, owned: true, file: f}, nil
		}
		if v, ok := ckrFromLib(err); ok && v == pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED {
			return &session{c: c, file: f}, nil
		}
		c.Destroy()
		if f != nil {
			f.Close()
		}
		return nil, api.Errorf(api.CodeTokenModuleFailed, "PKCS#11 module %s: C_Initialize: %w", mod.Path, err)
	}, (*session).release)
}

func (m *Manager) list(ctx context.Context) Result {
	m.mu.Lock()
	defer m.mu.Unlock()
	var r Result
	for _, cand := range m.policy.Modules() {
		mod, err := m.policy.Check(cand.Path)
		if err != nil {
			r.Errors = append(r.Errors, err)
			continue
		}
		mod.Name, mod.From = cand.Name, cand.From
		toks, certs, err := m.listModule(ctx, mod)
		r.Tokens = append(r.Tokens, toks...)
		r.Certificates = append(r.Certificates, certs...)
		if err != nil {
			r.Errors = append(r.Errors, err)
		}
	}
	return r
}

// maxObjects bounds what is read from one token.
const maxObjects = 256

func (m *Manager) listModule(ctx context.Context, mod Module) ([]TokenInfo, []*Cert, error) {
	s, err := m.open(ctx, mod)
	if err != nil {
		return nil, nil, err
	}
	defer s.release()
	slots, err := s.c.GetSlotList(true)
	if err != nil {
		return nil, nil, classify("PKCS#11 module "+mod.Path+": listing slots", err)
	}
	var toks []TokenInfo
	var certs []*Cert
	var errs []error
	for _, slot := range slots {
		info, err := tokenInfo(s.c, mod, slot)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if info.Flags&ckfTokenInitialized == 0 {
			continue
		}
		toks = append(toks, info)
		cs, err := readCerts(s.c, info)
		certs = append(certs, cs...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return toks, certs, errors.Join(errs...)
}

func tokenInfo(c *pkcs11.Ctx, mod Module, slot uint) (TokenInfo, error) {
	ti, err := c.GetTokenInfo(slot)
	if err != nil {
		return TokenInfo{}, classify(fmt.Sprintf("PKCS#11 module %s: slot %d", mod.Path, slot), err)
	}
	trim := func(s string) string { return strings.TrimRight(s, " \x00") }
	return TokenInfo{Module: mod, Slot: slot, Label: trim(ti.Label), Manufacturer: trim(ti.ManufacturerID), Model: trim(ti.Model),
		Serial: trim(ti.SerialNumber), Flags: ti.Flags, MinPIN: ti.MinPinLen, MaxPIN: ti.MaxPinLen}, nil
}

// find returns the handles of the objects matching tmpl, at most
// maxObjects.
func find(c *pkcs11.Ctx, sh pkcs11.SessionHandle, tmpl []*pkcs11.Attribute) ([]pkcs11.ObjectHandle, error) {
	if err := c.FindObjectsInit(sh, tmpl); err != nil {
		return nil, err
	}
	defer c.FindObjectsFinal(sh)
	hs, _, err := c.FindObjects(sh, maxObjects)
	return hs, err
}

// keyObject is a key's CKA_ID and, for RSA, its modulus.
type keyObject struct {
	id, modulus []byte
}

func readCerts(c *pkcs11.Ctx, info TokenInfo) ([]*Cert, error) {
	sh, err := c.OpenSession(info.Slot, pkcs11.CKF_SERIAL_SESSION)
	if err != nil {
		return nil, classify("token "+info.Label+": opening a session", err)
	}
	defer c.CloseSession(sh)
	hs, err := find(c, sh, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_CERTIFICATE),
		pkcs11.NewAttribute(pkcs11.CKA_CERTIFICATE_TYPE, pkcs11.CKC_X_509),
	})
	if err != nil {
		return nil, classify("token "+info.Label+": finding certificates", err)
	}
	// Keys visible before login: public keys, and private keys a token
	// does not mark private.
	var keys []keyObject
	for _, class := range []uint{pkcs11.CKO_PUBLIC_KEY, pkcs11.CKO_PRIVATE_KEY} {
		khs, err := find(c, sh, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_CLASS, class)})
		if err != nil {
			return nil, classify("token "+info.Label+": finding keys", err)
		}
		for _, h := range khs {
			k := keyObject{}
			if a, err := c.GetAttributeValue(sh, h, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_ID, nil)}); err == nil {
				k.id = a[0].Value
			}
			if class == pkcs11.CKO_PUBLIC_KEY {
				if a, err := c.GetAttributeValue(sh, h, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_MODULUS, nil)}); err == nil {
					k.modulus = a[0].Value
				}
			}
			keys = append(keys, k)
		}
	}
	var out []*Cert
	for _, h := range hs {
		attrs, err := c.GetAttributeValue(sh, h, []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_ID, nil),
			pkcs11.NewAttribute(pkcs11.CKA_LABEL, nil),
			pkcs11.NewAttribute(pkcs11.CKA_VALUE, nil),
		})
		if err != nil {
			return out, classify("token "+info.Label+": reading a certificate", err)
		}
		x, err := certstore.ParseCertificate(attrs[2].Value)
		if err != nil || x.IsCA {
			continue // not a user certificate (a trust anchor, or garbage)
		}
		id, label := attrs[0].Value, string(attrs[1].Value)
		u := &URI{Model: info.Model, Manufacturer: info.Manufacturer, Serial: info.Serial, Token: info.Label,
			Object: label, ID: id, Type: "cert", ModulePath: info.Module.Path}
		if len(id) == 0 {
			u.ID = nil
		}
		cert := &Cert{Certificate: certstore.Certificate{X509: x, Kind: certstore.KindToken, Location: certstore.LocationToken,
			Path: u.String(), KeyPath: u.String()}, Token: info, ID: id, Object: label}
		cert.Unusable = unusable(x.PublicKey, id, keys)
		out = append(out, cert)
	}
	return out, nil
}

// unusable says why a certificate with id cannot sign with the keys found,
// or "" when one of them is its key.
func unusable(pub crypto.PublicKey, id []byte, keys []keyObject) string {
	if len(id) == 0 {
		return "the certificate has no CKA_ID, so its key cannot be found"
	}
	found := false
	for _, k := range keys {
		if !bytes.Equal(k.id, id) {
			continue
		}
		found = true
		if rp, ok := pub.(*rsa.PublicKey); ok && k.modulus != nil && !bytes.Equal(bytes.TrimLeft(k.modulus, "\x00"), rp.N.Bytes()) {
			return fmt.Sprintf("the key with CKA_ID %x belongs to another certificate", id)
		}
	}
	if !found {
		return fmt.Sprintf("no key with the certificate's CKA_ID (%x) on the token", id)
	}
	return ""
}

// modulesFor are the modules a URI may be on: its module-path (which must
// be allowed), the allowed module named module-name, or every allowed one.
func (m *Manager) modulesFor(u *URI) ([]Module, error) {
	if u.ModulePath != "" {
		mod, err := m.policy.Check(u.ModulePath)
		if err != nil {
			return nil, err
		}
		return []Module{mod}, nil
	}
	var out []Module
	for _, cand := range m.policy.Modules() {
		if u.ModuleName != "" && cand.Name != u.ModuleName {
			continue
		}
		mod, err := m.policy.Check(cand.Path)
		if err != nil {
			if u.ModuleName != "" {
				return nil, err
			}
			continue
		}
		mod.Name, mod.From = cand.Name, cand.From
		out = append(out, mod)
	}
	if len(out) == 0 {
		return nil, api.Errorf(api.CodeTokenNotFound, "no allowed PKCS#11 module for %s", u)
	}
	return out, nil
}

func (m *Manager) unlock(ctx context.Context, u *URI, pin []byte) (*Identity, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	mods, err := m.modulesFor(u)
	if err != nil {
		return nil, err
	}
	var cert *Cert
	var errs []error
	for _, mod := range mods {
		if prev := m.live[mod.Path]; prev != nil {
			// One login per module and process: see Manager.
			prev.closeLocked()
		}
		_, certs, err := m.listModule(ctx, mod)
		if err != nil {
			errs = append(errs, err)
		}
		for _, c := range certs {
			if u.MatchesToken(c.Token) && u.MatchesObject(c.Object, c.ID) {
				cert = c
				break
			}
		}
		if cert != nil {
			break
		}
	}
	if cert == nil {
		if len(errs) == 1 {
			return nil, errs[0] // the one module to look in failed: say how
		}
		if err := errors.Join(errs...); err != nil {
			return nil, api.Errorf(api.CodeTokenNotFound, "no certificate on a token matches %s (%v)", u, err)
		}
		return nil, api.Errorf(api.CodeTokenNotFound, "no certificate on a token matches %s", u)
	}
	if cert.Unusable != "" {
		return nil, api.Errorf(api.CodeTokenKeyMissing, "%s: %s", cert.Path, cert.Unusable)
	}
	t := &liveToken{ctx: ctx, m: m, cert: cert}
	signer, err := loginWithPIN(t, pin)
	if err != nil {
		return nil, err
	}
	if !certstore.KeyMatches(signer, cert.X509.PublicKey) {
		t.c11.Close()
		return nil, api.Errorf(api.CodeTokenKeyMissing, "%s: the key with CKA_ID %x belongs to another certificate", cert.Path, cert.ID)
	}
	id := &Identity{Identity: &certstore.Identity{Certificate: &cert.Certificate, Key: &certstore.PrivateKey{Signer: classifyingSigner{signer}}},
		Cert: cert, m: m, closer: t.c11}
	m.live[cert.Token.Module.Path] = id
	return id, nil
}

// classifyingSigner gives the token's failures their codes, so that the
// certstore.Identity inside an Identity reports a pulled-out token as
// token_removed too.
type classifyingSigner struct{ crypto.Signer }

func (s classifyingSigner) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	sig, err := s.Signer.Sign(rand, digest, opts)
	return sig, classify("signing on the token", err)
}

// liveToken is the real pinToken: flags through miekg/pkcs11, the login
// and the key through crypto11. The two never hold the module at once:
// crypto11 initialises and finalises it itself.
type liveToken struct {
	ctx  context.Context
	m    *Manager
	cert *Cert
	c11  io.Closer // the logged-in crypto11 context, once Login succeeded
}

// loadedContext is a crypto11 context and the pinned module file it was
// loaded through, closed together.
type loadedContext struct {
	c *crypto11.Context
	f *os.File
}

func (l *loadedContext) Close() error {
	err := l.c.Close()
	if l.f != nil {
		l.f.Close()
	}
	return err
}

func (t *liveToken) Info() (TokenInfo, error) {
	mod := t.cert.Token.Module
	s, err := t.m.open(t.ctx, mod)
	if err != nil {
		return TokenInfo{}, err
	}
	defer s.release()
	slots, err := s.c.GetSlotList(true)
	if err != nil {
		return TokenInfo{}, err
	}
	for _, slot := range slots {
		info, err := tokenInfo(s.c, mod, slot)
		if err == nil && info.Serial == t.cert.Token.Serial && info.Label == t.cert.Token.Label {
			return info, nil
		}
	}
	return TokenInfo{}, api.Errorf(api.CodeTokenRemoved, "token %s is no longer present", t.cert.Token.Label)
}

func (t *liveToken) Login(pin string) (crypto.Signer, error) {
	tok := t.cert.Token
	path, f, err := loadPath(tok.Module)
	if err != nil {
		return nil, err
	}
	cfg := &crypto11.Config{Path: path, Pin: pin}
	if tok.Serial != "" {
		cfg.TokenSerial = tok.Serial
	} else {
		cfg.TokenLabel = tok.Label
	}
	c, err := withTimeout(t.ctx, t.m, tok.Module, func() (*crypto11.Context, error) { return crypto11.Configure(cfg) },
		func(c *crypto11.Context) {
			c.Close()
			if f != nil {
				f.Close()
			}
		})
	if err != nil {
		if f != nil && api.CodeOf(err) != api.CodeTokenModuleTimeout {
			f.Close()
		}
		if api.CodeOf(err) == api.CodeTokenModuleTimeout || t.ctx.Err() != nil {
			return nil, err
		}
		if _, ok := ckrOf(err); !ok && strings.Contains(err.Error(), "could not find PKCS#11 token") {
			return nil, api.Errorf(api.CodeTokenRemoved, "token %s is no longer present", tok.Label)
		}
		return nil, err
	}
	signer, err := c.FindKeyPair(t.cert.ID, nil)
	if err != nil || signer == nil {
		c.Close()
		if f != nil {
			f.Close()
		}
		if err != nil {
			if _, ok := ckrOf(err); ok {
				return nil, err
			}
		}
		return nil, api.Errorf(api.CodeTokenKeyMissing, "%s: no private key with CKA_ID %x after login", t.cert.Path, t.cert.ID)
	}
	t.c11 = &loadedContext{c, f}
	return signer, nil
}

func (id *Identity) close() error {
	id.m.mu.Lock()
	defer id.m.mu.Unlock()
	id.closeLocked()
	return nil
}

// closeLocked closes id with m.mu held.
func (id *Identity) closeLocked() {
	if id.closer != nil {
		_ = id.closer.Close()
		id.closer = nil
	}
	if id.m.live[id.Cert.Token.Module.Path] == id {
		delete(id.m.live, id.Cert.Token.Module.Path)
	}
}
