package gateway

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/api/passwordrules"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/gateway/store"
	"github.com/opensvpn/svpn/wgkey"
	"golang.org/x/text/unicode/norm"
)

// maxCertificateLen bounds the DER certificate in a login.
const maxCertificateLen = 16 << 10

// login runs every check of a login in order and, when all pass, creates
// the session and adds its peer. The order is the security argument:
//
//	request shape → per-source reservation → challenge → certificate (chain,
//	validity, purpose, revocation) → signature over the client-built message
//	with this connection's channel binding → the certificate belongs to
//	the account → challenge spent → account attempt reserved → password
//
// Nothing about the account is looked at before the signature proves the
// request comes from the holder of a trusted, unrevoked certificate key, so
// a stranger without one can neither test a password nor lock an account,
// and learns nothing about which accounts exist. Each signature buys at
// most one password evaluation (the challenge is spent first), and at most
// MaxFailures evaluations run per lockout however many arrive at once (the
// attempt is reserved in the store before hashing).
func (s *Server) login(ctx context.Context, req *api.LoginRequest, channelBinding []byte, source string) (*api.LoginResponse, error) {
	now := s.now()
	if err := checkUserID(req.UserID); err != nil {
		return nil, err
	}
	key, err := wgkey.ParsePublic(req.WGPublicKey)
	if err != nil || key.IsZero() {
		return nil, refuse(api.CodeBadRequest, "wg_public_key: not a WireGuard public key")
	}
	wgPub := key.String()
	if len(req.Certificate) == 0 || len(req.Certificate) > maxCertificateLen {
		return nil, refuse(api.CodeBadRequest, "certificate: DER of 1 to %d bytes", maxCertificateLen)
	}
	if len(req.Password) > maxPasswordLen || len(req.NewPassword) > maxPasswordLen || len(req.Signature) > maxSignatureLen {
		return nil, refuse(api.CodeBadRequest, "password or signature too long")
	}

	// Every attempt from an address counts until it succeeds: one address
	// may not sweep many accounts, nor run many guesses at once.
	if err := s.reserveSource(ctx, source, now); err != nil {
		return nil, s.refused(ctx, "login_refused", req.UserID, source, err, nil)
	}
	resp, err := s.loginChecked(ctx, req, key, wgPub, channelBinding, source, now)
	if err != nil {
		return nil, err
	}
	if err := s.st.ReleaseSourceAttempt(ctx, source, now); err != nil {
		s.log.Warn("releasing a source attempt", "source", source, "err", err)
	}
	return resp, nil
}

func (s *Server) loginChecked(ctx context.Context, req *api.LoginRequest, key wgkey.Public, wgPub string, channelBinding []byte, source string, now time.Time) (*api.LoginResponse, error) {
	chalExpires, err := s.chal.verify(req.Challenge, req.UserID, wgPub, now)
	if err != nil {
		return nil, s.refused(ctx, "login_refused", req.UserID, source,
			refuse(api.CodeChallengeInvalid, "%v; request a new challenge", err), map[string]string{"reason": err.Error()})
	}
	cert, err := s.checkCertificate(ctx, req.Certificate, now)
	if err != nil {
		return nil, s.refused(ctx, "login_refused", req.UserID, source, err, certDetail(cert))
	}
	msg, err := api.LoginBinding{GatewayID: s.cfg.GatewayID, UserID: req.UserID, WGPublicKey: wgPub,
		Challenge: req.Challenge, ChannelBinding: channelBinding}.Message()
	if err != nil {
		return nil, s.refused(ctx, "login_refused", req.UserID, source, err, nil)
	}
	if err := certstore.VerifySignature(cert, req.SignatureAlgorithm, msg, req.Signature); err != nil {
		return nil, s.refused(ctx, "login_refused", req.UserID, source,
			refuse(api.CodeSignatureInvalid, "the signature over the login message does not verify"), certDetail(cert))
	}
	// From here the request comes from the holder of a trusted key.
	user, bind, err := s.checkBinding(ctx, req, cert)
	if err != nil {
		return nil, s.refused(ctx, "login_refused", req.UserID, source, err, certDetail(cert))
	}
	// One signature, one password evaluation: spend the challenge first.
	fresh, err := s.st.UseChallenge(ctx, challengeID(req.Challenge), chalExpires)
	if err != nil {
		return nil, internalError(err)
	}
	if !fresh {
		return nil, s.refused(ctx, "login_refused", user.ID, source,
			refuse(api.CodeChallengeReplayed, "this challenge was already used; request a new one"), nil)
	}
	if err := s.verifyPassword(ctx, user, req.Password, source); err != nil {
		return nil, err
	}
	if err := s.checkPosture(req.Posture); err != nil {
		return nil, s.refused(ctx, "login_refused", user.ID, source, err, nil)
	}
	var newHash string
	switch {
	case user.MustChangePassword && req.NewPassword == "":
		return nil, s.refused(ctx, "login_refused", user.ID, source,
			refuse(api.CodePasswordChangeRequired, "first login: change the password set by the administrator"), nil)
	case req.NewPassword != "":
		// A first-login change, or a voluntary one with a full login proof;
		// it is applied in the transaction that creates the session.
		if newHash, err = s.newPasswordHash(ctx, user, req.NewPassword, req.Password, source); err != nil {
			return nil, err
		}
	}
	if bind {
		if err := s.bindCertificate(ctx, user, cert, source); err != nil {
			return nil, s.refused(ctx, "login_refused", user.ID, source, err, certDetail(cert))
		}
	}
	return s.createSession(ctx, user, key, cert, req, newHash, source, now)
}

// Bounds of login fields that cost work: argon2 hashes the whole password.
const (
	maxPasswordLen  = 1024
	maxSignatureLen = 2048
)

// reserveSource counts an attempt against the client's address (its /64
// for IPv6) before any work is done.
func (s *Server) reserveSource(ctx context.Context, source string, now time.Time) error {
	_, ok, retry, err := s.st.ReserveSourceAttempt(ctx, source, time.Duration(s.cfg.SourceWindow), s.cfg.SourceLimit, now)
	if err != nil {
		return internalError(err)
	}
	if !ok {
		r := refuse(api.CodeRateLimited, "too many attempts from this address; wait and try again")
		r.resp.RetryAfter = max(1, int(retry.Round(time.Second).Seconds()))
		return r
	}
	return nil
}

// refused audits a refusal under the code actually returned and returns
// it. Every refusal that is audited goes through it, so the audit log can
// never name a code other than the one the client received; a plain error
// is audited and returned as internal_error, as asRefusal turns it.
func (s *Server) refused(ctx context.Context, event, user, source string, err error, detail any) error {
	r := asRefusal(err)
	s.audit(ctx, event, user, source, r.resp.Code, detail)
	return r
}

// verifyPassword checks the account password. The attempt is reserved in
// the store before hashing, so however many requests arrive at once, at
// most MaxFailures passwords are evaluated before the account locks.
func (s *Server) verifyPassword(ctx context.Context, user store.User, pw, source string) error {
	_, ok, err := s.st.ReserveAttempt(ctx, user.ID, s.cfg.MaxFailures)
	if err != nil {
		return internalError(err)
	}
	if !ok {
		return s.refused(ctx, "login_refused", user.ID, source,
			refuse(api.CodeAccountLocked, "the account is locked; ask the helpdesk to unlock it"), nil)
	}
	good, err := s.hash.verify(ctx, user.PasswordHash, pw)
	if err != nil || ctx.Err() != nil {
		// Not evaluated: give the attempt back.
		if rerr := s.st.ReleaseAttempt(context.WithoutCancel(ctx), user.ID); rerr != nil {
			s.log.Error("releasing an attempt", "user", user.ID, "err", rerr)
		}
		if ctx.Err() != nil {
			return refuse(api.CodeUnavailable, "the request was cancelled")
		}
		return internalError(fmt.Errorf("password hash of %s: %w", user.ID, err))
	}
	if good {
		if err := s.st.SucceedAttempt(ctx, user.ID); err != nil {
			return internalError(err)
		}
		return nil
	}
	failures, locked, err := s.st.FailAttempt(ctx, user.ID, s.cfg.MaxFailures)
	if err != nil {
		return internalError(err)
	}
	if locked {
		return s.refused(ctx, "user_locked", user.ID, source,
			refuse(api.CodeAccountLocked, "too many wrong passwords: the account is locked; ask the helpdesk to unlock it"),
			map[string]int{"failures": failures})
	}
	r := refuse(api.CodeBadCredentials, "wrong password")
	r.resp.RemainingAttempts = max(0, s.cfg.MaxFailures-failures)
	return s.refused(ctx, "login_refused", user.ID, source, r, map[string]int{"failures": failures})
}

// checkCertificate parses and validates the login certificate, revocation
// included.
func (s *Server) checkCertificate(ctx context.Context, der []byte, now time.Time) (*x509.Certificate, error) {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, refuse(api.CodeBadRequest, "certificate: %v", err)
	}
	chain, err := s.certs.check(cert, now)
	if err != nil {
		return cert, err
	}
	revoked, err := s.st.IsRevoked(ctx, serialHex(cert.SerialNumber), certstore.SubjectString(chain[1]))
	if err != nil {
		return cert, internalError(err)
	}
	if revoked {
		return cert, refuse(api.CodeCertificateRevoked, "the certificate has been revoked; have it reissued")
	}
	if err := s.crls.status(chain, now); err != nil {
		return cert, err // certificate_revoked or certificate_revocation_unknown
	}
	return cert, nil
}

// errNotRegistered is the answer for an unknown account and for a
// certificate that is not the account's: the same, so a certificate
// holder cannot tell which IDs exist.
func errNotRegistered() error {
	return refuse(api.CodeCertificateNotRegistered, "this certificate is not registered for this account; ask the helpdesk to register yours")
}

// checkBinding ties the certificate to the account: the registered subject
// DN, serial and issuer must match. An unbound account adopts the
// certificate only when bind_on_first_login is set and the certificate
// proves the person: the holder's name must be the registered name and,
// where an identity number is registered, the certificate's VID must match
// it (with R from the holder's key). bind says the certificate is to be
// bound once the password is proven.
func (s *Server) checkBinding(ctx context.Context, req *api.LoginRequest, cert *x509.Certificate) (user store.User, bind bool, err error) {
	user, err = s.st.GetUser(ctx, req.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return user, false, errNotRegistered()
	} else if err != nil {
		return user, false, internalError(err)
	}
	b := user.Cert
	if b.IsZero() {
		if !s.cfg.BindOnFirstLogin {
			return user, false, errNotRegistered()
		}
		if err := checkIdentity(user, cert, req.VIDRandom); err != nil {
			return user, false, err
		}
		return user, true, nil
	}
	if !bindingMatches(b, cert) {
		return user, false, errNotRegistered()
	}
	return user, false, nil
}

// CertBindingOf is the binding that registers x for an account: subject,
// serial and issuer (serials are unique only per issuer).
func CertBindingOf(x *x509.Certificate) store.CertBinding {
	return store.CertBinding{Subject: certstore.SubjectString(x), Serial: serialHex(x.SerialNumber), Issuer: certstore.IssuerString(x)}
}

// bindingMatches compares a registered binding with a certificate: every
// registered field must match. A serial names a certificate only together
// with its issuer; a binding from before issuers were recorded counts only
// when its subject DN (which names the CA in Korean certificates) matches.
func bindingMatches(b store.CertBinding, cert *x509.Certificate) bool {
	got := CertBindingOf(cert)
	if b.Subject != "" && b.Subject != got.Subject {
		return false
	}
	if b.Serial != "" {
		if b.Serial != got.Serial {
			return false
		}
		if b.Issuer != got.Issuer && !(b.Issuer == "" && b.Subject != "") {
			return false
		}
	}
	return b.Subject != "" || b.Serial != ""
}

// checkIdentity is the first-login proof that the certificate is the
// account holder's.
func checkIdentity(user store.User, cert *x509.Certificate, random []byte) error {
	want := norm.NFC.String(strings.TrimSpace(user.DisplayName))
	got := norm.NFC.String(strings.TrimSpace(certstore.DisplayName(cert)))
	if want == "" || want != got {
		return refuse(api.CodeCertificateIdentityMismatch, "the certificate's holder is not the account's registered person; ask the helpdesk to register your certificate")
	}
	if user.IdentityNumber != "" {
		if err := certstore.VerifyVID(cert, random, user.IdentityNumber); err != nil {
			return refuse(api.CodeCertificateIdentityMismatch, "the certificate's identity (VID) does not match the account's registered person")
		}
	}
	return nil
}

// bindCertificate binds cert to an unbound account after the password was
// proven; a certificate bound meanwhile by another login wins.
func (s *Server) bindCertificate(ctx context.Context, user store.User, cert *x509.Certificate, source string) error {
	bound, err := s.st.BindCertificateIfUnbound(ctx, user.ID, CertBindingOf(cert))
	if err != nil {
		return internalError(err)
	}
	if !bindingMatches(bound, cert) {
		return errNotRegistered()
	}
	s.audit(ctx, "certificate_bound", user.ID, source, "", certDetail(cert))
	return nil
}

func (s *Server) checkPosture(p api.Posture) error {
	if !s.cfg.Posture.RequireAntivirus {
		return nil
	}
	for _, av := range p.Antivirus {
		if av.Enabled {
			return nil
		}
	}
	r := refuse(api.CodePostureFailed, "an enabled antivirus program is required; install or turn one on")
	r.resp.InstallURL = s.cfg.Posture.InstallURL
	return r
}

// newPasswordHash applies the policy to a new password and hashes it; the
// caller stores it.
func (s *Server) newPasswordHash(ctx context.Context, user store.User, newPW, oldPW, source string) (string, error) {
	if vs := passwordrules.Check(s.cfg.PasswordPolicy.Rules(), user.ID, newPW, oldPW); len(vs) > 0 {
		r := refuse(api.CodePasswordPolicy, "the new password breaks %d rule(s)", len(vs))
		r.resp.Violations = vs
		return "", s.refused(ctx, "password_refused", user.ID, source, r, r.resp.Violations)
	}
	hash, err := s.hash.hash(ctx, newPW, s.cfg.Argon2)
	if err != nil {
		return "", internalError(err)
	}
	return hash, nil
}

// changePassword is POST /auth/password: a voluntary change inside a live
// session (Authorization: Bearer), with the current password. A password
// the administrator set is changed only inside a complete login (the
// login's new_password), never here: knowing an initial password must not
// be enough to take an account over.
func (s *Server) changePassword(ctx context.Context, token string, req *api.PasswordChangeRequest, source string) error {
	now := s.now()
	if err := s.reserveSource(ctx, source, now); err != nil {
		return s.refused(ctx, "password_refused", req.UserID, source, err, nil)
	}
	if token == "" {
		return refuse(api.CodeUnauthorized, "log in first: a password is changed inside a session or a login")
	}
	sess, err := s.st.SessionByToken(ctx, store.HashToken(token))
	if errors.Is(err, store.ErrNotFound) || (err == nil && (!sess.Active() || now.After(sess.ExpiresAt) || now.After(sess.IdleExpiresAt))) {
		return refuse(api.CodeUnauthorized, "the session is not active; log in again")
	} else if err != nil {
		return internalError(err)
	}
	if req.UserID != "" && req.UserID != sess.UserID {
		return refuse(api.CodeForbidden, "a session changes only its own account's password")
	}
	user, err := s.st.GetUser(ctx, sess.UserID)
	if err != nil {
		return internalError(err)
	}
	if user.MustChangePassword {
		return refuse(api.CodePasswordChangeRequired, "the password set by the administrator is changed at login")
	}
	if err := s.verifyPassword(ctx, user, req.OldPassword, source); err != nil {
		return err
	}
	hash, err := s.newPasswordHash(ctx, user, req.NewPassword, req.OldPassword, source)
	if err != nil {
		return err
	}
	if err := s.st.SetPassword(ctx, user.ID, hash, false); err != nil {
		return internalError(err)
	}
	if err := s.st.ReleaseSourceAttempt(ctx, source, now); err != nil {
		s.log.Warn("releasing a source attempt", "source", source, "err", err)
	}
	s.audit(ctx, "password_changed", user.ID, source, "", map[string]string{"session": sess.ID})
	return nil
}

// challengeID is what the store remembers of a used challenge.
func challengeID(ch string) string {
	h := sha256.Sum256([]byte(ch))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// createSession stores the session, leases the address and adds the peer.
func (s *Server) createSession(ctx context.Context, user store.User, key wgkey.Public, cert *x509.Certificate, req *api.LoginRequest, newPasswordHash, source string, now time.Time) (*api.LoginResponse, error) {
	tokBytes := make([]byte, 32)
	if _, err := rand.Read(tokBytes); err != nil {
		return nil, internalError(err)
	}
	token := base64.RawURLEncoding.EncodeToString(tokBytes)
	device, _ := json.Marshal(req.Device)
	sess, replaced, err := s.st.CreateSession(ctx, store.Session{
		TokenHash:     store.HashToken(token),
		UserID:        user.ID,
		PublicKey:     key.String(),
		Source:        source,
		Device:        device,
		Node:          s.node,
		CreatedAt:     now,
		LastSeen:      now,
		IdleExpiresAt: now.Add(time.Duration(s.cfg.SessionIdle)),
		ExpiresAt:     now.Add(time.Duration(s.cfg.SessionLifetime)),
	}, store.CreateOptions{Single: *s.cfg.SingleSession, Pool: s.pool, Reserved: []netip.Addr{s.gwAddr}, NewPasswordHash: newPasswordHash})
	switch {
	case errors.Is(err, store.ErrPoolExhausted):
		return nil, refuse(api.CodePoolExhausted, "no tunnel address is free; try again later")
	case errors.Is(err, store.ErrExists):
		return nil, refuse(api.CodeSessionLimit, "this device already has an active session")
	case err != nil:
		return nil, internalError(err)
	}
	if newPasswordHash != "" {
		s.audit(ctx, "password_changed", user.ID, source, "", map[string]string{"session": sess.ID})
	}
	for _, old := range replaced {
		s.dropPeer(old.ID)
		s.audit(ctx, "session_ended", old.UserID, source, "", map[string]string{"session": old.ID, "reason": string(api.EndReplaced)})
	}
	if err := s.addPeer(sess.ID, key, sess.TunnelAddr); err != nil {
		s.st.EndSession(ctx, sess.ID, api.EndLogout, now)
		return nil, internalError(fmt.Errorf("adding peer: %w", err))
	}
	g := s.cfg.group(user.Group)
	banner := g.Banner
	if banner == "" {
		banner = s.cfg.Banner
	}
	detail := map[string]any{"session": sess.ID, "address": sess.TunnelAddr.String(), "device": req.Device}
	if cert != nil {
		detail["cert_serial"] = serialHex(cert.SerialNumber)
	} else { // approved by the mobile employee ID (mobileid_approved names the credential)
		detail["method"] = "mobile_id"
	}
	s.audit(ctx, "login", user.ID, source, "", detail)
	return &api.LoginResponse{
		SessionID:         sess.ID,
		SessionToken:      token,
		UserID:            user.ID,
		DisplayName:       user.DisplayName,
		ExpiresAt:         sess.ExpiresAt,
		IdleExpiresAt:     sess.IdleExpiresAt,
		HeartbeatInterval: int(time.Duration(s.cfg.HeartbeatInterval).Seconds()),
		Tunnel: api.Tunnel{
			Address:            netipPrefix32(sess),
			ServerPublicKey:    s.pub.String(),
			Endpoint:           s.endpoint,
			Routes:             g.Routes,
			DNS:                g.DNS,
			SearchDomains:      g.SearchDomains,
			MTU:                s.cfg.WG.MTU,
			Keepalive:          s.cfg.WG.Keepalive,
			KillSwitch:         g.KillSwitch,
			AllowLAN:           g.AllowLAN,
			NoCaptiveExemption: g.NoCaptiveExemption,
		},
		PortalURL: g.PortalURL,
		Banner:    banner,
	}, nil
}

func netipPrefix32(sess store.Session) string {
	return sess.TunnelAddr.String() + "/32"
}

func certDetail(cert *x509.Certificate) map[string]string {
	if cert == nil {
		return nil
	}
	return map[string]string{"cert_subject": certstore.SubjectString(cert), "cert_serial": serialHex(cert.SerialNumber)}
}

// audit appends to the audit log; a failure is logged, never fatal.
func (s *Server) audit(ctx context.Context, event, user, source string, code api.Code, detail any) {
	var raw json.RawMessage
	if detail != nil {
		b, err := json.Marshal(detail)
		if err == nil && !bytes.Equal(b, []byte("null")) {
			raw = b
		}
	}
	err := s.st.AppendAudit(context.WithoutCancel(ctx), store.AuditEvent{
		Time: s.now(), Event: event, UserID: user, Source: source, Node: s.node, Code: string(code), Detail: raw,
	})
	if err != nil {
		s.log.Error("audit log", "event", event, "err", err)
	}
	s.log.Info(event, "user", user, "source", source, "code", code)
}
