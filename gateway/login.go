package gateway

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/gateway/password"
	"github.com/opensvpn/svpn/gateway/store"
	"github.com/opensvpn/svpn/wgkey"
)

// maxCertificateLen bounds the DER certificate in a login.
const maxCertificateLen = 16 << 10

// login runs every check of a login in order and, when all pass, creates
// the session and adds its peer. The order matters: the cheap and
// unauthenticated checks come first, password failures are counted before
// anything about the certificate is revealed, and nothing changes state
// until the request is proven to come from the certificate's holder.
func (s *Server) login(ctx context.Context, req *api.LoginRequest, channelBinding []byte, source string) (*api.LoginResponse, error) {
	now := s.now()
	if err := checkUserID(req.UserID); err != nil {
		return nil, err
	}
	key, err := wgkey.ParseKey(req.WGPublicKey)
	if err != nil || key.IsZero() {
		return nil, refuse(api.CodeBadRequest, "wg_public_key: not a WireGuard public key")
	}
	wgPub := key.String()
	if len(req.Certificate) == 0 || len(req.Certificate) > maxCertificateLen {
		return nil, refuse(api.CodeBadRequest, "certificate: DER of 1 to %d bytes", maxCertificateLen)
	}

	// One address may not sweep many accounts.
	n, err := s.st.SourceFailures(ctx, source, now.Add(-time.Duration(s.cfg.SourceWindow)))
	if err != nil {
		return nil, internalError(err)
	}
	if n >= s.cfg.SourceLimit {
		s.audit(ctx, "login_refused", req.UserID, source, api.CodeRateLimited, nil)
		r := refuse(api.CodeRateLimited, "too many failed logins from this address; wait and try again")
		r.resp.RetryAfter = int(time.Duration(s.cfg.SourceWindow).Seconds())
		return nil, r
	}

	chalExpires, err := s.chal.verify(req.Challenge, req.UserID, wgPub, now)
	if err != nil {
		s.audit(ctx, "login_refused", req.UserID, source, api.CodeChallengeInvalid, map[string]string{"reason": err.Error()})
		return nil, refuse(api.CodeChallengeInvalid, "%v; request a new challenge", err)
	}

	user, err := s.st.GetUser(ctx, req.UserID)
	if errors.Is(err, store.ErrNotFound) {
		s.hash.verify(ctx, s.dummyHash, req.Password)
		s.st.RecordSourceFailure(ctx, source)
		s.audit(ctx, "login_refused", req.UserID, source, api.CodeBadCredentials, map[string]string{"reason": "unknown user"})
		return nil, refuse(api.CodeBadCredentials, "wrong ID or password")
	} else if err != nil {
		return nil, internalError(err)
	}
	if user.Locked {
		s.audit(ctx, "login_refused", user.ID, source, api.CodeAccountLocked, nil)
		return nil, refuse(api.CodeAccountLocked, "the account is locked; ask the helpdesk to unlock it")
	}
	if err := s.verifyPassword(ctx, user, req.Password, source); err != nil {
		return nil, err
	}

	cert, chain, err := s.checkCertificate(ctx, req.Certificate, now)
	if err != nil {
		s.audit(ctx, "login_refused", user.ID, source, asRefusal(err).resp.Code, certDetail(cert))
		return nil, err
	}
	msg, err := api.LoginBinding{GatewayID: s.cfg.GatewayID, UserID: req.UserID, WGPublicKey: wgPub,
		Challenge: req.Challenge, ChannelBinding: channelBinding}.Message()
	if err != nil {
		return nil, asRefusal(err)
	}
	if err := certstore.VerifySignature(cert, req.SignatureAlgorithm, msg, req.Signature); err != nil {
		s.audit(ctx, "login_refused", user.ID, source, api.CodeSignatureInvalid, certDetail(cert))
		return nil, refuse(api.CodeSignatureInvalid, "the signature over the challenge does not verify")
	}
	if err := s.checkBinding(ctx, &user, cert); err != nil {
		s.audit(ctx, "login_refused", user.ID, source, api.CodeCertificateNotRegistered, certDetail(cert))
		return nil, err
	}
	_ = chain
	// Only now, with password and signature proven, is the challenge spent.
	fresh, err := s.st.UseChallenge(ctx, challengeID(req.Challenge), chalExpires)
	if err != nil {
		return nil, internalError(err)
	}
	if !fresh {
		s.audit(ctx, "login_refused", user.ID, source, api.CodeChallengeReplayed, nil)
		return nil, refuse(api.CodeChallengeReplayed, "this challenge was already used; request a new one")
	}
	if err := s.checkPosture(req.Posture); err != nil {
		s.audit(ctx, "login_refused", user.ID, source, api.CodePostureFailed, nil)
		return nil, err
	}
	if user.FailedAttempts > 0 {
		if err := s.st.ResetFailures(ctx, user.ID); err != nil {
			return nil, internalError(err)
		}
	}
	if user.MustChangePassword {
		if req.NewPassword == "" {
			s.audit(ctx, "login_refused", user.ID, source, api.CodePasswordChangeRequired, nil)
			r := refuse(api.CodePasswordChangeRequired, "first login: change the password set by the administrator")
			r.resp.ChangeToken = s.changeToken(user, now)
			return nil, r
		}
		if err := s.setPassword(ctx, user, req.NewPassword, req.Password, source); err != nil {
			return nil, err
		}
	}
	return s.createSession(ctx, user, key, cert, req, source, now)
}

// verifyPassword checks the account password and counts a failure,
// locking the account at the limit.
func (s *Server) verifyPassword(ctx context.Context, user store.User, pw, source string) error {
	ok, err := s.hash.verify(ctx, user.PasswordHash, pw)
	if ctx.Err() != nil {
		return refuse(api.CodeUnavailable, "the request was cancelled")
	}
	if err != nil {
		return internalError(fmt.Errorf("password hash of %s: %w", user.ID, err))
	}
	if ok {
		return nil
	}
	failures, locked, err := s.st.RecordFailure(ctx, user.ID, source, s.cfg.MaxFailures)
	if err != nil {
		return internalError(err)
	}
	if locked {
		s.audit(ctx, "user_locked", user.ID, source, api.CodeAccountLocked, map[string]int{"failures": failures})
		return refuse(api.CodeAccountLocked, "too many wrong passwords: the account is locked; ask the helpdesk to unlock it")
	}
	s.audit(ctx, "login_refused", user.ID, source, api.CodeBadCredentials, map[string]int{"failures": failures})
	r := refuse(api.CodeBadCredentials, "wrong ID or password")
	r.resp.RemainingAttempts = s.cfg.MaxFailures - failures
	return r
}

// checkCertificate parses and validates the login certificate, revocation
// included.
func (s *Server) checkCertificate(ctx context.Context, der []byte, now time.Time) (*x509.Certificate, []*x509.Certificate, error) {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, refuse(api.CodeBadRequest, "certificate: %v", err)
	}
	chain, err := s.certs.check(cert, now)
	if err != nil {
		return cert, nil, err
	}
	issuer := certstore.SubjectString(chain[1])
	revoked, err := s.st.IsRevoked(ctx, serialHex(cert.SerialNumber), issuer)
	if err != nil {
		return cert, nil, internalError(err)
	}
	if revoked || s.crls.revoked(chain) {
		return cert, nil, refuse(api.CodeCertificateRevoked, "the certificate has been revoked; have it reissued")
	}
	return cert, chain, nil
}

// checkBinding ties the certificate to the account: the registered subject
// DN and/or serial must match; an unbound account adopts the certificate
// when bind_on_first_login is set.
func (s *Server) checkBinding(ctx context.Context, user *store.User, cert *x509.Certificate) error {
	got := store.CertBinding{Subject: certstore.SubjectString(cert), Serial: serialHex(cert.SerialNumber)}
	b := user.Cert
	if b.IsZero() {
		if !s.cfg.BindOnFirstLogin {
			return refuse(api.CodeCertificateNotRegistered, "no certificate is registered for this account; ask the helpdesk to register yours")
		}
		bound, err := s.st.BindCertificateIfUnbound(ctx, user.ID, got)
		if err != nil {
			return internalError(err)
		}
		b = bound
	}
	if (b.Subject != "" && b.Subject != got.Subject) || (b.Serial != "" && b.Serial != got.Serial) {
		return refuse(api.CodeCertificateNotRegistered, "this certificate is not the one registered for the account")
	}
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

// setPassword applies the policy and stores a new password.
func (s *Server) setPassword(ctx context.Context, user store.User, newPW, oldPW, source string) error {
	if vs := password.Check(s.cfg.PasswordPolicy, user.ID, newPW, oldPW); len(vs) > 0 {
		r := refuse(api.CodePasswordPolicy, "the new password breaks %d rule(s)", len(vs))
		for _, v := range vs {
			r.resp.Violations = append(r.resp.Violations, api.Violation{Rule: string(v.Rule), Message: v.Message})
		}
		s.audit(ctx, "password_refused", user.ID, source, api.CodePasswordPolicy, r.resp.Violations)
		return r
	}
	if ok, _ := s.hash.verify(ctx, user.PasswordHash, newPW); ok && s.cfg.PasswordPolicy.ForbidOld {
		r := refuse(api.CodePasswordPolicy, "the new password must differ from the current one")
		r.resp.Violations = []api.Violation{{Rule: string(password.RuleSameAsOld), Message: "must differ from the current password"}}
		return r
	}
	hash, err := s.hash.hash(ctx, newPW, s.cfg.Argon2)
	if err != nil {
		return internalError(err)
	}
	if err := s.st.SetPassword(ctx, user.ID, hash, false); err != nil {
		return internalError(err)
	}
	s.audit(ctx, "password_changed", user.ID, source, "", nil)
	return nil
}

// changePassword is POST /auth/password.
func (s *Server) changePassword(ctx context.Context, req *api.PasswordChangeRequest, source string) error {
	if err := checkUserID(req.UserID); err != nil {
		return err
	}
	user, err := s.st.GetUser(ctx, req.UserID)
	if errors.Is(err, store.ErrNotFound) {
		s.hash.verify(ctx, s.dummyHash, req.OldPassword)
		return refuse(api.CodeBadCredentials, "wrong ID or password")
	} else if err != nil {
		return internalError(err)
	}
	if user.Locked {
		return refuse(api.CodeAccountLocked, "the account is locked; ask the helpdesk to unlock it")
	}
	switch {
	case req.ChangeToken != "":
		if !s.checkChangeToken(user, req.ChangeToken, s.now()) {
			return refuse(api.CodeUnauthorized, "the change token is invalid or expired; log in again")
		}
	default:
		if err := s.verifyPassword(ctx, user, req.OldPassword, source); err != nil {
			return err
		}
	}
	return s.setPassword(ctx, user, req.NewPassword, req.OldPassword, source)
}

// A change token lets a user whose login was refused with
// password_change_required set a new password without sending the old one
// again. It is bound to the current password hash, so it dies once used.
const changeTokenTTL = 10 * time.Minute

func (s *Server) changeTokenMAC(user store.User, exp int64) []byte {
	m := hmac.New(sha256.New, s.changeKey)
	fmt.Fprintf(m, "svpn-change-v1\x00%s\x00%s\x00%d", user.ID, user.PasswordHash, exp)
	return m.Sum(nil)
}

func (s *Server) changeToken(user store.User, now time.Time) string {
	exp := now.Add(changeTokenTTL).Unix()
	b := binary.BigEndian.AppendUint64(nil, uint64(exp))
	return base64.RawURLEncoding.EncodeToString(append(b, s.changeTokenMAC(user, exp)...))
}

func (s *Server) checkChangeToken(user store.User, tok string, now time.Time) bool {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) != 8+sha256.Size {
		return false
	}
	exp := int64(binary.BigEndian.Uint64(b[:8]))
	return now.Unix() <= exp && hmac.Equal(b[8:], s.changeTokenMAC(user, exp))
}

// challengeID is what the store remembers of a used challenge.
func challengeID(ch string) string {
	h := sha256.Sum256([]byte(ch))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// createSession stores the session, leases the address and adds the peer.
func (s *Server) createSession(ctx context.Context, user store.User, key wgkey.Key, cert *x509.Certificate, req *api.LoginRequest, source string, now time.Time) (*api.LoginResponse, error) {
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
	}, store.CreateOptions{Single: *s.cfg.SingleSession, Pool: s.pool, Reserved: []netip.Addr{s.gwAddr}})
	switch {
	case errors.Is(err, store.ErrPoolExhausted):
		return nil, refuse(api.CodePoolExhausted, "no tunnel address is free; try again later")
	case errors.Is(err, store.ErrExists):
		return nil, refuse(api.CodeSessionLimit, "this device already has an active session")
	case err != nil:
		return nil, internalError(err)
	}
	for _, old := range replaced {
		s.dropPeer(old.ID)
		s.audit(ctx, "session_ended", old.UserID, source, "", map[string]string{"session": old.ID, "reason": string(store.EndReplaced)})
	}
	if err := s.addPeer(sess.ID, key, sess.TunnelAddr); err != nil {
		s.st.EndSession(ctx, sess.ID, store.EndLogout, now)
		return nil, internalError(fmt.Errorf("adding peer: %w", err))
	}
	g := s.cfg.group(user.Group)
	banner := g.Banner
	if banner == "" {
		banner = s.cfg.Banner
	}
	s.audit(ctx, "login", user.ID, source, "", map[string]any{
		"session": sess.ID, "address": sess.TunnelAddr.String(), "cert_serial": serialHex(cert.SerialNumber),
		"device": req.Device,
	})
	return &api.LoginResponse{
		SessionID:         sess.ID,
		SessionToken:      token,
		UserID:            user.ID,
		DisplayName:       user.DisplayName,
		ExpiresAt:         sess.ExpiresAt,
		IdleExpiresAt:     sess.IdleExpiresAt,
		HeartbeatInterval: int(time.Duration(s.cfg.HeartbeatInterval).Seconds()),
		Tunnel: api.Tunnel{
			Address:         netipPrefix32(sess),
			ServerPublicKey: s.pub.String(),
			Endpoint:        s.endpoint,
			Routes:          g.Routes,
			DNS:             g.DNS,
			SearchDomains:   g.SearchDomains,
			MTU:             s.cfg.WG.MTU,
			Keepalive:       s.cfg.WG.Keepalive,
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
