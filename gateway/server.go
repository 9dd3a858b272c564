package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/gateway/store"
	"github.com/opensvpn/svpn/wgkey"
)

// Peers is the WireGuard device sessions are added to: a peer per session
// with the session's /32.
type Peers interface {
	AddPeer(pub wgkey.Public, addr netip.Addr) error
	RemovePeer(pub wgkey.Public) error
}

// Options are what a Server needs besides its config.
type Options struct {
	Store     *store.Store
	Peers     Peers
	PublicKey wgkey.Public // the device's public key, sent to clients
	Endpoint  string       // host:port clients dial for WireGuard
	Node      string       // this node's name in a cluster (default: node, then gateway_id)
	APIURL    string       // this node's API URL for the nodes table (default: api_url)
	Logger    *slog.Logger
	Now       func() time.Time // for tests; default time.Now
	// Streams, when set, serves the tunnel over HTTPS (api.PathTunnelStream)
	// into the WireGuard device, at most MaxStreams at once.
	Streams    Streams
	MaxStreams int
}

// Server is the gateway: the HTTP API and the session lifecycle.
type Server struct {
	cfg      *Config
	st       *store.Store
	peers    Peers
	pub      wgkey.Public
	endpoint string
	node     string
	log      *slog.Logger
	now      func() time.Time

	certs   *certChecker
	crls    *crlSet
	chal    *challenger
	pool    netip.Prefix
	gwAddr  netip.Addr
	hash    *hasher
	metrics *metrics
	mobile  *mobileVerifier // nil: mobile ID login is off

	// live maps each session of this node to its peer key, so ended
	// sessions (kicked by an administrator from another process, expired,
	// replaced on another node) have their peers removed.
	mu   sync.Mutex
	live map[string]wgkey.Public

	// moves wakes the certificate-move Gets waiting on a slot (certmove.go).
	moves   moveWaiters
	streams *streamRegistry // nil without Options.Streams
	cluster                 // nodes, draining, admission control: cluster.go
}

// Secret names in the store, shared by every node of a cluster.
const (
	secretChallenge = "challenge-hmac"
)

// New builds a Server. It loads trust anchors and CRLs and re-adds the peers
// of this node's sessions that are still active, so clients of a restarted
// gateway reconnect without logging in again.
func New(ctx context.Context, cfg *Config, o Options) (*Server, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Node == "" {
		o.Node = cfg.Node
	}
	if o.Node == "" {
		o.Node = cfg.GatewayID
	}
	s := &Server{cfg: cfg, st: o.Store, peers: o.Peers, pub: o.PublicKey, endpoint: o.Endpoint,
		node: o.Node, log: o.Logger, now: o.Now, live: map[string]wgkey.Public{}, metrics: newMetrics(), hash: newHasher()}
	if o.Streams != nil {
		s.streams = newStreamRegistry(o.Streams, o.MaxStreams)
	}
	var err error
	if s.certs, err = newCertChecker(cfg.TrustAnchors, cfg.Intermediates, cfg.AllowedPolicies); err != nil {
		return nil, err
	}
	s.crls = newCRLSetFromConfig(cfg, s.log)
	s.crls.reload(ctx)
	p, err := netip.ParsePrefix(cfg.WG.Address)
	if err != nil {
		return nil, fmt.Errorf("wireguard.address: %w", err)
	}
	s.pool, s.gwAddr = p.Masked(), p.Addr()
	chalKey, err := s.st.Secret(ctx, secretChallenge, 32)
	if err != nil {
		return nil, err
	}
	s.chal = &challenger{secret: chalKey, gatewayID: cfg.GatewayID}
	if s.mobile, err = newMobileVerifier(ctx, cfg.MobileID, s.st, s.node); err != nil {
		return nil, err
	}
	if err := s.restorePeers(ctx); err != nil {
		return nil, err
	}
	s.initCluster(cfg, o)
	return s, nil
}

// Handler returns the API handler.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+api.PathInfo, s.handleInfo)
	mux.HandleFunc("POST "+api.PathChallenge, s.admitChallenge(s.handleChallenge))
	mux.HandleFunc("POST "+api.PathLogin, s.admitLogin(s.handleLogin))
	mux.HandleFunc("POST "+api.PathPassword, s.handlePassword)
	mux.HandleFunc("POST "+api.PathHeartbeat, s.handleHeartbeat)
	mux.HandleFunc("POST "+api.PathLogout, s.handleLogout)
	mux.HandleFunc("POST "+api.PathSessionEvent, s.handleSessionEvent)
	mux.HandleFunc("POST "+api.PathCertMoveOpen, s.handleCertMoveOpen)
	mux.HandleFunc("POST "+api.PathCertMoveJoin, s.handleCertMoveJoin)
	mux.HandleFunc("POST "+api.PathCertMovePut, s.handleCertMovePut)
	mux.HandleFunc("POST "+api.PathCertMoveGet, s.handleCertMoveGet)
	mux.HandleFunc("GET "+api.PathTunnelStream, s.handleStream)
	s.mobileRoutes(mux)
	mux.HandleFunc("POST "+api.PathResume, s.handleResume)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, refuse(api.CodeBadRequest, "no such API call: %s %s", r.Method, r.URL.Path))
	})
	return mux
}

// MetricsHandler serves Prometheus metrics; mount it on its own listener.
// Every call returns the same handler.
func (s *Server) MetricsHandler() http.Handler { return s.metrics.handler(s) }

// refusal is an API error with the details a client acts on.
type refusal struct {
	resp api.ErrorResponse
	err  error // internal cause, logged, never sent
}

func (r *refusal) Error() string {
	if r.err != nil {
		return fmt.Sprintf("%s: %s: %v", r.resp.Code, r.resp.Message, r.err)
	}
	return fmt.Sprintf("%s: %s", r.resp.Code, r.resp.Message)
}

func refuse(code api.Code, format string, args ...any) *refusal {
	return &refusal{resp: api.ErrorResponse{Code: code, Message: fmt.Sprintf(format, args...)}}
}

// internalError hides the cause from the client and logs it.
func internalError(err error) *refusal {
	return &refusal{resp: api.ErrorResponse{Code: api.CodeInternal, Message: "internal error; try again, then call the helpdesk"}, err: err}
}

// asRefusal turns any error into a refusal: coded api errors keep their code.
func asRefusal(err error) *refusal {
	var r *refusal
	if errors.As(err, &r) {
		return r
	}
	var ae *api.Error
	if errors.As(err, &ae) {
		return &refusal{resp: api.ErrorResponse{Code: ae.Code, Message: ae.Message}}
	}
	return internalError(err)
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	ref := asRefusal(err)
	status := api.HTTPStatus(ref.resp.Code) // from the error catalogue
	if status == 0 {
		status = http.StatusForbidden
	}
	if ref.err != nil {
		s.log.Error("request failed", "path", r.URL.Path, "code", ref.resp.Code, "err", ref.err)
	}
	if ref.resp.RetryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(ref.resp.RetryAfter))
	}
	writeJSON(w, status, ref.resp)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// decode reads a size-limited JSON body, refusing trailing data. Unknown
// fields are ignored, so a newer client can talk to an older gateway;
// a client that needs a newer API says so in its version header.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	if err := checkAPIVersion(r); err != nil {
		return err
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return refuse(api.CodeBadRequest, "Content-Type must be application/json")
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, api.MaxRequestBody))
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return refuse(api.CodeBadRequest, "request body larger than %d bytes", api.MaxRequestBody)
		}
		return refuse(api.CodeBadRequest, "malformed JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return refuse(api.CodeBadRequest, "trailing data after the JSON object")
	}
	return nil
}

func (s *Server) handleInfo(w http.ResponseWriter, r *http.Request) {
	g := s.cfg.group("default")
	writeJSON(w, http.StatusOK, api.Info{
		APIVersion:          api.APIVersion,
		GatewayID:           s.cfg.GatewayID,
		Name:                s.cfg.Name,
		Banner:              s.cfg.Banner,
		PortalURL:           g.PortalURL,
		Helpdesk:            s.cfg.Helpdesk,
		PasswordRules:       s.cfg.PasswordPolicy.Rules(),
		Posture:             api.PosturePolicy{RequireAntivirus: s.cfg.Posture.RequireAntivirus, InstallURL: s.cfg.Posture.InstallURL},
		SignatureAlgorithms: []api.SignatureAlgorithm{api.SigRSAPKCS1SHA256, api.SigRSAPSSSHA256, api.SigECDSASHA256},
	})
}

func (s *Server) handleChallenge(w http.ResponseWriter, r *http.Request) {
	var req api.ChallengeRequest
	if err := decode(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := checkUserID(req.UserID); err != nil {
		s.writeError(w, r, err)
		return
	}
	key, err := wgkey.ParsePublic(req.WGPublicKey)
	if err != nil || key.IsZero() {
		s.writeError(w, r, refuse(api.CodeBadRequest, "wg_public_key: not a WireGuard public key"))
		return
	}
	wgPub := key.String()
	ch, exp, err := s.chal.issue(req.UserID, wgPub, s.now())
	if err != nil {
		s.writeError(w, r, internalError(err))
		return
	}
	writeJSON(w, http.StatusOK, api.ChallengeResponse{
		Challenge: ch, GatewayID: s.cfg.GatewayID, ExpiresAt: exp, IdentityCheck: s.cfg.BindOnFirstLogin,
	})
}

// checkAPIVersion refuses a client that speaks only a newer API version than
// this gateway: it says so in the api.APIVersionHeader, and gets a code it
// can explain ("update the gateway") instead of a confusing refusal.
func checkAPIVersion(r *http.Request) error {
	v := r.Header.Get(api.APIVersionHeader)
	if v == "" {
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return refuse(api.CodeBadRequest, "%s: %q is not an API version", api.APIVersionHeader, v)
	}
	if n > api.APIVersion {
		return refuse(api.CodeAPIVersion, "this gateway speaks API version %d; the client needs %d", api.APIVersion, n)
	}
	return nil
}

// checkUserID refuses IDs that could not have been created by the admin
// CLI and would break the signed message's framing.
func checkUserID(id string) error {
	if err := api.CheckUserID(id); err != nil {
		return asRefusal(err)
	}
	return nil
}

// channelBinding is the RFC 9266 tls-exporter of the connection r came on:
// the login signature covers it, so a signature relayed from another
// connection (a malicious gateway's) does not verify here.
func channelBinding(r *http.Request) ([]byte, error) {
	if r.TLS == nil {
		return nil, refuse(api.CodeBadRequest, "a login must be sent over TLS to the gateway itself")
	}
	b, err := r.TLS.ExportKeyingMaterial(api.ChannelBindingLabel, nil, api.ChannelBindingLen)
	if err != nil {
		return nil, refuse(api.CodeBadRequest, "no TLS channel binding on this connection (TLS 1.2 without extended master secret): %v", err)
	}
	return b, nil
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var req api.LoginRequest
	if err := decode(w, r, &req); err != nil {
		s.metrics.login(api.CodeBadRequest)
		s.writeError(w, r, err)
		return
	}
	start := time.Now()
	var resp *api.LoginResponse
	cb, err := channelBinding(r)
	if err == nil {
		resp, err = s.login(r.Context(), &req, cb, clientSource(r))
	}
	s.metrics.loginSeconds.Observe(time.Since(start).Seconds())
	if err != nil {
		ref := asRefusal(err)
		s.metrics.login(ref.resp.Code)
		s.writeError(w, r, ref)
		return
	}
	s.metrics.login("ok")
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) handlePassword(w http.ResponseWriter, r *http.Request) {
	var req api.PasswordChangeRequest
	if err := decode(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	tok, _ := bearer(r)
	if err := s.changePassword(r.Context(), tok, &req, clientSource(r)); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

// bearer returns the session token of an Authorization: Bearer header.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	return strings.TrimSpace(tok), ok && strings.TrimSpace(tok) != ""
}

func (s *Server) handleHeartbeat(w http.ResponseWriter, r *http.Request) {
	tok, ok := bearer(r)
	if !ok {
		s.writeError(w, r, refuse(api.CodeUnauthorized, "missing session token"))
		return
	}
	st, err := s.heartbeat(r.Context(), tok)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	tok, ok := bearer(r)
	if !ok {
		s.writeError(w, r, refuse(api.CodeUnauthorized, "missing session token"))
		return
	}
	if err := s.logout(r.Context(), tok, clientSource(r)); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}
