package gateway

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/gateway/store"
	"github.com/opensvpn/svpn/mobileid"
	"github.com/opensvpn/svpn/wgkey"
)

// mobileRoutes adds the mobile ID login: svpnd's start and result on one
// TLS connection, and the phone's profile, presentation and decline.
func (s *Server) mobileRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST "+api.PathMobileStart, s.handleMobileStart)
	mux.HandleFunc("POST "+api.PathMobileResult, s.handleMobileResult)
	mux.HandleFunc("POST "+api.PathMobileProfile, s.handleMobileProfile)
	mux.HandleFunc("POST "+api.PathMobilePresentation, s.handleMobilePresentation)
	mux.HandleFunc("POST "+api.PathMobileDecline, s.handleMobileDecline)
}

func errMobileDisabled() error {
	return refuse(api.CodeMobileDisabled, "this gateway does not offer mobile ID login")
}

// handleMobileStart begins a QR login for svpnd's WireGuard key, bound to
// this TLS connection: only it collects the verdict.
func (s *Server) handleMobileStart(w http.ResponseWriter, r *http.Request) {
	resp, err := s.mobileStart(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) mobileStart(r *http.Request) (*api.MobileStartResponse, error) {
	m := s.mobile
	if m == nil {
		return nil, errMobileDisabled()
	}
	var req api.MobileStartRequest
	if err := decodeReq(r, &req); err != nil {
		return nil, err
	}
	cb, err := channelBinding(r)
	if err != nil {
		return nil, err
	}
	key, err := wgkey.ParsePublic(req.WGPublicKey)
	if err != nil || key.IsZero() {
		return nil, refuse(api.CodeBadRequest, "wg_public_key: not a WireGuard public key")
	}
	if req.UserID != "" {
		if err := checkUserID(req.UserID); err != nil {
			return nil, err
		}
	}
	host := m.cfg.PublicURL
	if host == "" {
		host = "https://" + r.Host
	}
	if err := mobileid.CheckHost(host); err != nil {
		return nil, refuse(api.CodeBadRequest, "the gateway's address %q cannot go in a QR code", r.Host)
	}
	now := s.now()
	source := clientSource(r)
	// A QR login counts against the address until it succeeds, like any
	// login: one address cannot fill the table.
	if err := s.reserveSource(r.Context(), source, now); err != nil {
		return nil, s.refused(r.Context(), "mobileid_refused", req.UserID, source, err, nil)
	}
	t := &mobileTx{trx: randomB64(16), nonce: randomB64(32), short: shortCode(), wgPub: key.String(), userID: req.UserID,
		binding: cb, source: source, host: host, expires: now.Add(time.Duration(m.cfg.TTL))}
	qr, err := mobileid.NewRequest(t.trx, host).Encode()
	if err != nil {
		return nil, refuse(api.CodeBadRequest, "%v: shorten mobile_id.public_url", err)
	}
	expired, ok, err := m.add(r.Context(), t, now)
	if err != nil {
		return nil, internalError(err)
	}
	s.auditExpired(r.Context(), expired)
	if !ok {
		return nil, refuse(api.CodeUnavailable, "too many QR logins are waiting; try again in a moment")
	}
	s.audit(r.Context(), "mobileid_started", req.UserID, source, "", map[string]string{"transaction": t.id()})
	return &api.MobileStartResponse{Transaction: t.trx, QR: qr, ShortCode: t.short, ExpiresAt: t.expires}, nil
}

func (s *Server) auditExpired(ctx context.Context, ts []*mobileTx) {
	for _, t := range ts {
		s.audit(ctx, "mobileid_refused", t.userID, t.source, api.CodeMobileExpired, map[string]string{"transaction": t.id()})
	}
}

// decodeReq is decode without a ResponseWriter (the body limit still holds).
func decodeReq(r *http.Request, v any) error { return decode(discardWriter{}, r, v) }

type discardWriter struct{}

func (discardWriter) Header() http.Header         { return http.Header{} }
func (discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (discardWriter) WriteHeader(int)             {}

// handleMobileResult answers svpnd, on the connection that started the
// transaction, with "pending" (after at most api.MobileResultWait) or the
// verdict: a refusal, or the session of an approved login.
func (s *Server) handleMobileResult(w http.ResponseWriter, r *http.Request) {
	resp, err := s.mobileResult(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) mobileResult(r *http.Request) (*api.MobileResultResponse, error) {
	m := s.mobile
	if m == nil {
		return nil, errMobileDisabled()
	}
	var req api.MobileResultRequest
	if err := decodeReq(r, &req); err != nil {
		return nil, err
	}
	cb, err := channelBinding(r)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	t, err := m.lookup(ctx, req.Transaction)
	if err != nil {
		return nil, internalError(err)
	}
	// Another connection or key than the one that started it learns
	// nothing about the transaction, not even that it exists.
	if t == nil || !bytes.Equal(t.binding, cb) || t.wgPub != req.WGPublicKey {
		return nil, refuse(api.CodeMobileUnknownTransaction, "no such transaction on this connection")
	}
	if wait := min(m.wait, t.expires.Sub(s.now())); wait > 0 && !t.answered() {
		prev := t
		if t, err = m.await(ctx, t, wait); err != nil {
			return nil, internalError(err)
		}
		if t == nil {
			// Pruned meanwhile by a start on some node, which audited
			// the expiry.
			if s.now().After(prev.expires) {
				return nil, errMobileExpired()
			}
			return nil, refuse(api.CodeMobileUnknownTransaction, "the transaction is gone")
		}
	}
	if !t.answered() {
		if ctx.Err() != nil {
			// svpnd went away (cancelled, or closed): nobody else can
			// collect this transaction, so no phone may answer it now.
			bg := context.WithoutCancel(ctx)
			cancelled := refuse(api.CodeMobileCancelled, "svpnd cancelled the login")
			if ok, err := m.settle(bg, t, store.User{}, cancelled); err != nil {
				s.log.Warn("cancelling a mobile ID login", "err", err)
			} else if ok {
				s.refused(bg, "mobileid_refused", t.userID, t.source, cancelled, map[string]string{"transaction": t.id()})
			}
			return nil, refuse(api.CodeUnavailable, "the request was cancelled")
		}
		if !s.now().After(t.expires) {
			return &api.MobileResultResponse{Status: api.MobilePending}, nil
		}
		ok, err := m.settle(ctx, t, store.User{}, errMobileExpired())
		if err != nil {
			return nil, internalError(err)
		}
		if ok {
			s.auditExpired(ctx, []*mobileTx{t})
		} else if t, err = m.lookup(ctx, req.Transaction); err != nil {
			return nil, internalError(err)
		} else if t == nil || !t.answered() {
			return nil, refuse(api.CodeMobileUnknownTransaction, "the transaction is gone")
		}
	}
	if ok, err := m.collect(ctx, t); err != nil {
		return nil, internalError(err)
	} else if !ok {
		return nil, refuse(api.CodeMobileUnknownTransaction, "the verdict was already collected")
	}
	if t.err != nil {
		return nil, t.err // audited when it was decided
	}
	login, err := s.mobileLogin(ctx, t, &req)
	if err != nil {
		return nil, err
	}
	return &api.MobileResultResponse{Status: api.MobileApproved, Login: login}, nil
}

// mobileLogin turns an approved transaction into the same session and
// tunnel a certificate login gets, once the PC's posture passes and the
// account is still unlocked.
func (s *Server) mobileLogin(ctx context.Context, t *mobileTx, req *api.MobileResultRequest) (*api.LoginResponse, error) {
	now := s.now()
	user, err := s.st.GetUser(ctx, t.user.ID)
	if err != nil {
		return nil, s.refused(ctx, "mobileid_refused", t.user.ID, t.source, refuse(api.CodeMobileNotRegistered, "the account is gone"), nil)
	}
	if user.Locked {
		return nil, s.refused(ctx, "mobileid_refused", user.ID, t.source, refuse(api.CodeAccountLocked, "the account is locked; ask the helpdesk to unlock it"), nil)
	}
	if err := s.checkPosture(req.Posture); err != nil {
		return nil, s.refused(ctx, "login_refused", user.ID, t.source, err, nil)
	}
	key, _ := wgkey.ParsePublic(t.wgPub)
	resp, err := s.createSession(ctx, user, key, nil, &api.LoginRequest{Device: req.Device}, "", t.source, now)
	if err != nil {
		return nil, s.refused(ctx, "login_refused", user.ID, t.source, err, nil)
	}
	if err := s.st.ReleaseSourceAttempt(ctx, t.source, now); err != nil {
		s.log.Warn("releasing a source attempt", "source", t.source, "err", err)
	}
	return resp, nil
}

// writeMIP answers the phone: v, or an M900 for err.
func (s *Server) writeMIP(w http.ResponseWriter, r *http.Request, trx string, v any, err error) {
	if err == nil {
		writeJSON(w, http.StatusOK, v)
		return
	}
	ref := asRefusal(err)
	if ref.err != nil {
		s.log.Error("mobile ID request failed", "path", r.URL.Path, "code", ref.resp.Code, "err", ref.err)
	}
	status := api.HTTPStatus(ref.resp.Code)
	if status == 0 {
		status = http.StatusForbidden
	}
	writeJSON(w, status, mobileid.NewError(trx, mobileid.ErrCodeOf(ref.resp.Code), ref.resp.Code, ref.resp.Message))
}

// handleMobileProfile serves M310: the signed profile of a pending
// transaction.
func (s *Server) handleMobileProfile(w http.ResponseWriter, r *http.Request) {
	var req mobileid.ProfileRequest
	resp, err := s.mobileProfile(r, &req)
	s.writeMIP(w, r, req.TrxCode, resp, err)
}

func (s *Server) mobileProfile(r *http.Request, req *mobileid.ProfileRequest) (any, error) {
	m := s.mobile
	if m == nil {
		return nil, errMobileDisabled()
	}
	if err := decodeReq(r, req); err != nil {
		return nil, refuse(api.CodeMobileInvalid, "%v", err)
	}
	if err := mobileid.CheckHeader(req.Header, mobileid.CmdProfile); err != nil {
		return nil, refuse(api.CodeMobileInvalid, "%v", err)
	}
	t, err := m.lookup(r.Context(), req.TrxCode)
	if err != nil {
		return nil, internalError(err)
	}
	now := s.now()
	switch {
	case t == nil || t.answered():
		return nil, errMobileUnknown()
	case now.After(t.expires):
		return nil, errMobileExpired()
	}
	p := &mobileid.Profile{
		Claims:       jwt.Claims{Issuer: s.cfg.GatewayID, IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(t.expires)},
		VerifierName: s.cfg.Name, TrxCode: t.trx, Nonce: t.nonce, ShortCode: t.short,
		Requested: []string{m.cfg.UserClaim, "name"},
		Callback:  t.host + api.PathMobilePresentation, Decline: t.host + api.PathMobileDecline,
	}
	jws, err := mobileid.SignProfile(m.key, p)
	if err != nil {
		return nil, internalError(err)
	}
	return mobileid.NewProfileResponse(t.trx, jws), nil
}

// handleMobilePresentation receives M400. The transaction is spent by the
// first presentation whatever its fate; every verdict is audited and goes
// to the PC.
func (s *Server) handleMobilePresentation(w http.ResponseWriter, r *http.Request) {
	var req mobileid.PresentationRequest
	err := s.mobilePresentation(r, &req)
	s.writeMIP(w, r, req.TrxCode, mobileid.NewPresentationResponse(req.TrxCode), err)
}

func (s *Server) mobilePresentation(r *http.Request, req *mobileid.PresentationRequest) error {
	m := s.mobile
	if m == nil {
		return errMobileDisabled()
	}
	ctx := r.Context()
	source := clientSource(r)
	if err := decodeReq(r, req); err != nil {
		return refuse(api.CodeMobileInvalid, "%v", err)
	}
	if err := mobileid.CheckHeader(req.Header, mobileid.CmdPresentation); err != nil {
		return refuse(api.CodeMobileInvalid, "%v", err)
	}
	now := s.now()
	t, err := m.claim(ctx, req.TrxCode, now)
	if err != nil {
		detail := map[string]string{"phone": source}
		if api.CodeOf(err) == api.CodeMobileExpired {
			detail["transaction"] = mobileTxID(store.HashToken(req.TrxCode))
		}
		return s.refused(ctx, "mobileid_refused", "", source, err, detail)
	}
	user, detail, verr := s.verifyPresentation(ctx, m, t, req.VP, now)
	// The verdict counts only if this is the transaction's first answer,
	// on any node: of two at once, the other is refused as a replay.
	if ok, err := m.settle(ctx, t, user, verr); err != nil {
		return internalError(err)
	} else if !ok {
		return s.refused(ctx, "mobileid_refused", "", source, errMobileUnknown(), map[string]string{"phone": source})
	}
	detail["transaction"], detail["phone"] = t.id(), source
	audUser := user.ID
	if audUser == "" {
		audUser = t.userID
	}
	if verr != nil {
		return s.refused(ctx, "mobileid_refused", audUser, t.source, verr, detail)
	}
	s.audit(ctx, "mobileid_approved", user.ID, t.source, "", detail)
	return nil
}

// verifyPresentation checks a presentation against its transaction, in
// order: holder signature → for this verifier, now → nonce → the PC's
// short code → issuer trusted and its signature → credential bound to the
// holder → validity → revocation → the account. detail is what the audit
// log records of it.
func (s *Server) verifyPresentation(ctx context.Context, m *mobileVerifier, t *mobileTx, raw string, now time.Time) (store.User, map[string]string, error) {
	detail := map[string]string{}
	var none store.User
	vp, err := mobileid.ParsePresentation(raw)
	if errors.Is(err, mobileid.ErrHolderSignature) {
		return none, detail, refuse(api.CodeMobileHolderSignature, "the presentation is not signed by its holder's key")
	} else if err != nil {
		return none, detail, refuse(api.CodeMobileInvalid, "%v", err)
	}
	detail["holder"] = vp.Issuer
	if err := vp.ValidateWithLeeway(jwt.Expected{AnyAudience: jwt.Audience{s.cfg.GatewayID}, Time: now}, time.Minute); err != nil {
		return none, detail, refuse(api.CodeMobileInvalid, "presentation: %v", err)
	}
	if vp.Expiry == nil || vp.IssuedAt == nil {
		return none, detail, refuse(api.CodeMobileInvalid, "presentation without iat and exp")
	}
	if vp.Nonce != t.nonce {
		return none, detail, refuse(api.CodeMobileNonceMismatch, "the presentation answers another request")
	}
	if vp.ShortCode != t.short {
		return none, detail, refuse(api.CodeMobileCodeMismatch, "the holder confirmed another PC's code")
	}
	if len(vp.VP.Credentials) != 1 || !slices.Contains(vp.VP.Type, "VerifiablePresentation") {
		return none, detail, refuse(api.CodeMobileInvalid, "the presentation must hold exactly one credential")
	}
	vc, err := mobileid.ParseCredential(vp.VP.Credentials[0], m.issuerKey)
	if errors.Is(err, mobileid.ErrIssuerUntrusted) {
		return none, detail, refuse(api.CodeMobileIssuerUntrusted, "the credential's issuer is not trusted")
	} else if err != nil {
		return none, detail, refuse(api.CodeMobileInvalid, "%v", err)
	}
	detail["issuer"], detail["credential"] = vc.Issuer, vc.ID
	if !slices.Contains(vc.VC.Type, mobileid.CredentialType) {
		return none, detail, refuse(api.CodeMobileInvalid, "not an employee ID credential")
	}
	if vc.Subject != vp.Issuer || vc.VC.Subject["id"] != vp.Issuer {
		return none, detail, refuse(api.CodeMobileHolderSignature, "the credential was issued to another holder")
	}
	if vc.Expiry == nil || vc.NotBefore == nil {
		return none, detail, refuse(api.CodeMobileInvalid, "credential without validity")
	}
	if now.After(vc.Expiry.Time()) || now.Before(vc.NotBefore.Time()) {
		return none, detail, refuse(api.CodeMobileCredentialExpired, "the credential is outside its validity")
	}
	revoked, err := s.st.IsRevoked(ctx, vc.ID, vc.Issuer)
	if errors.Is(err, store.ErrInvalid) {
		return none, detail, refuse(api.CodeMobileInvalid, "credential serial %q", vc.ID)
	} else if err != nil {
		return none, detail, internalError(err)
	}
	if revoked {
		return none, detail, refuse(api.CodeMobileCredentialRevoked, "the credential is revoked")
	}
	userID := vc.VC.Subject[m.cfg.UserClaim]
	if api.CheckUserID(userID) != nil || (t.userID != "" && t.userID != userID) {
		return none, detail, refuse(api.CodeMobileNotRegistered, "the credential names no account asked for")
	}
	user, err := s.st.GetUser(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return none, detail, refuse(api.CodeMobileNotRegistered, "the credential names no account here")
	} else if err != nil {
		return none, detail, internalError(err)
	}
	if user.Locked {
		return user, detail, refuse(api.CodeAccountLocked, "the account is locked; ask the helpdesk to unlock it")
	}
	return user, detail, nil
}

// handleMobileDecline receives the holder's M900: the login is declined.
func (s *Server) handleMobileDecline(w http.ResponseWriter, r *http.Request) {
	var req mobileid.Error
	err := s.mobileDecline(r, &req)
	s.writeMIP(w, r, req.TrxCode, mobileid.NewError(req.TrxCode, mobileid.ErrDeclined, api.CodeMobileDeclined, "declined"), err)
}

func (s *Server) mobileDecline(r *http.Request, req *mobileid.Error) error {
	m := s.mobile
	if m == nil {
		return errMobileDisabled()
	}
	if err := decodeReq(r, req); err != nil {
		return refuse(api.CodeMobileInvalid, "%v", err)
	}
	if err := mobileid.CheckHeader(req.Header, mobileid.CmdError); err != nil {
		return refuse(api.CodeMobileInvalid, "%v", err)
	}
	ctx := r.Context()
	t, err := m.claim(ctx, req.TrxCode, s.now())
	if err != nil {
		return s.refused(ctx, "mobileid_refused", "", clientSource(r), err, nil)
	}
	declined := refuse(api.CodeMobileDeclined, "the holder declined")
	if ok, err := m.settle(ctx, t, store.User{}, declined); err != nil {
		return internalError(err)
	} else if !ok {
		return s.refused(ctx, "mobileid_refused", "", clientSource(r), errMobileUnknown(), nil)
	}
	s.refused(ctx, "mobileid_refused", t.userID, t.source, declined,
		map[string]string{"transaction": t.id(), "phone": clientSource(r)})
	return nil
}
