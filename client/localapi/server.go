// Package localapi is svpnd's one front door: HTTP + JSON over a unix
// socket (a named pipe on Windows, see client/localsock). This is the
// server, inside svpnd; svpnctl and the desktop app use the client in
// client/local, which links none of the daemon. Who may do what is decided
// per request from the connecting process's identity, which the OS vouches
// for.
package localapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/diag"
	"github.com/opensvpn/svpn/client/engine"
	"github.com/opensvpn/svpn/client/gatewayapi"
	"github.com/opensvpn/svpn/client/localsock"
)

// Server serves the local API for one engine.
//
// Who sees what (the caller's identity comes from the OS, see
// localsock.PeerIdentity; a caller whose identity cannot be read is refused
// everything):
//
//   - The data owner is the user whose session is up (engine.Owner); while
//     none is, the user who most recently started a login (so a user whose
//     login failed can read why). Before anyone started a login since
//     svpnd started there is no data owner and nothing personal to hide.
//   - Root (an elevated administrator, SYSTEM on Windows) and the data
//     owner read the full status and watch stream, the diagnostics and the
//     support bundle.
//   - Any other local user reads a reduced status (state, gateway name and
//     URL, other_user set; no user ID, address, routes, portal or proxy,
//     errors) and is refused diagnostics and bundles with forbidden.
//   - Controls (login, logout, password) are decided by the engine from
//     the caller.
//
// When a user starts a login while no session is up and the previous data
// owner was someone else, the engine forgets the previous user's error
// history and certificate summary first.
type Server struct {
	eng     *engine.Engine
	log     *slog.Logger
	logs    func() []string // the daemon's recent log lines
	gateway *gatewayapi.Client
	profile *api.Profile
	now     func() time.Time

	mu        sync.Mutex
	lastLogin string               // UID of the user who last started a login
	bundling  bool                 // a bundle is being written
	bundled   map[string]time.Time // when each caller last got a bundle
}

// bundleInterval is how often one caller may fetch a support bundle: each
// runs several system commands.
const bundleInterval = 10 * time.Second

// ServerOptions configure a Server.
type ServerOptions struct {
	Engine  *engine.Engine
	Gateway *gatewayapi.Client
	Profile *api.Profile
	Logger  *slog.Logger
	Logs    func() []string
}

// NewServer returns a local API server.
func NewServer(o ServerOptions) *Server {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Logs == nil {
		o.Logs = func() []string { return nil }
	}
	return &Server{eng: o.Engine, log: o.Logger, logs: o.Logs, gateway: o.Gateway, profile: o.Profile,
		now: time.Now, bundled: map[string]time.Time{}}
}

type callerKey struct{}

// Serve answers requests on ln until ctx ends, then shuts down and waits
// for every handler (watch streams included) to return.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			id, err := localsock.PeerIdentity(c)
			if err != nil {
				s.log.Warn("local API: unknown caller", "err", err)
				return context.WithValue(ctx, callerKey{}, (*engine.Caller)(nil))
			}
			return context.WithValue(ctx, callerKey{}, &engine.Caller{UID: id.UID, Admin: id.Admin})
		},
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hs.Shutdown(sctx)
	<-errc
	return nil
}

// Handler returns the HTTP handler. Requests must arrive through Serve,
// which identifies the caller; any other is refused.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+api.LocalPathStatus, s.read(func(w http.ResponseWriter, r *http.Request, full bool) {
		writeJSON(w, http.StatusOK, s.view(s.eng.Status(), full))
	}))
	mux.HandleFunc("GET "+api.LocalPathWatch, s.read(s.watch))
	mux.HandleFunc("GET "+api.LocalPathProfile, s.read(func(w http.ResponseWriter, r *http.Request, _ bool) {
		s.profileInfo(w, r)
	}))
	mux.HandleFunc("GET "+api.LocalPathDiag, s.private(func(w http.ResponseWriter, r *http.Request, _ engine.Caller) {
		writeJSON(w, http.StatusOK, s.eng.Diagnostics(r.Context()))
	}))
	mux.HandleFunc("GET "+api.LocalPathDiagBundle, s.private(s.bundle))
	mux.HandleFunc("POST "+api.LocalPathLoginBegin, s.control(func(ctx context.Context, c engine.Caller, body []byte) (any, error) {
		var req api.LoginBeginRequest
		if err := decode(body, &req); err != nil {
			return nil, err
		}
		return s.eng.BeginLogin(ctx, c, req.UserID)
	}))
	mux.HandleFunc("POST "+api.LocalPathLoginFinish, s.control(func(ctx context.Context, c engine.Caller, body []byte) (any, error) {
		var req api.LoginFinishRequest
		if err := decode(body, &req); err != nil {
			return nil, err
		}
		return s.eng.FinishLogin(ctx, c, &req)
	}))
	mux.HandleFunc("POST "+api.LocalPathLoginCancel, s.control(func(ctx context.Context, c engine.Caller, body []byte) (any, error) {
		var req api.LoginCancelRequest
		if err := decode(body, &req); err != nil {
			return nil, err
		}
		return s.eng.CancelLogin(ctx, c, req.LoginID)
	}))
	mux.HandleFunc("POST "+api.LocalPathLogout, s.control(func(ctx context.Context, c engine.Caller, body []byte) (any, error) {
		return s.eng.Logout(ctx, c)
	}))
	mux.HandleFunc("POST "+api.LocalPathCaptiveExempt, s.control(func(ctx context.Context, c engine.Caller, body []byte) (any, error) {
		return s.eng.CaptiveExempt(ctx, c)
	}))
	mux.HandleFunc("POST "+api.LocalPathPassword, s.control(func(ctx context.Context, c engine.Caller, body []byte) (any, error) {
		var req api.LocalPasswordRequest
		if err := decode(body, &req); err != nil {
			return nil, err
		}
		return struct{}{}, s.eng.ChangePassword(ctx, &req)
	}))
	s.certMoveRoutes(mux) // certmove.go
	s.mobileRoutes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if refuseUnknown(w, caller(r)) {
			return
		}
		writeError(w, api.Errorf(api.CodeBadRequest, "no such local API call: %s %s", r.Method, r.URL.Path))
	})
	return mux
}

// caller returns who made r, nil when the OS could not say.
func caller(r *http.Request) *engine.Caller {
	c, _ := r.Context().Value(callerKey{}).(*engine.Caller)
	return c
}

// refuseUnknown answers a request whose caller is unknown; it reports
// whether it did.
func refuseUnknown(w http.ResponseWriter, c *engine.Caller) bool {
	if c == nil {
		writeError(w, api.Errorf(api.CodeForbidden, "the caller's identity is unknown"))
		return true
	}
	return false
}

// fullView reports whether c sees everything: see Server.
func (s *Server) fullView(c engine.Caller) bool {
	if c.Admin {
		return true
	}
	owner := s.eng.Owner()
	if owner == "" {
		s.mu.Lock()
		owner = s.lastLogin
		s.mu.Unlock()
	}
	return owner == "" || owner == c.UID
}

// view is the status as a caller may see it.
func (s *Server) view(st api.Status, full bool) api.Status {
	if full {
		return st
	}
	return api.Status{Seq: st.Seq, State: st.State, Gateway: st.Gateway, GatewayName: st.GatewayName,
		Since: st.Since, Userspace: st.Userspace, OtherUser: true, KillSwitch: st.KillSwitch}
}

// read wraps a reading call: any known caller, told whether it sees
// everything.
func (s *Server) read(f func(w http.ResponseWriter, r *http.Request, full bool)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c := caller(r)
		if refuseUnknown(w, c) {
			return
		}
		f(w, r, s.fullView(*c))
	}
}

// private wraps a call only root and the data owner may make.
func (s *Server) private(f func(w http.ResponseWriter, r *http.Request, c engine.Caller)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c := caller(r)
		if refuseUnknown(w, c) {
			return
		}
		if !s.fullView(*c) {
			writeError(w, api.Errorf(api.CodeForbidden, "the diagnostics belong to another user's session; ask that user or an administrator"))
			return
		}
		f(w, r, *c)
	}
}

// control wraps a state-changing call: it needs a known caller and a
// bounded body.
func (s *Server) control(f func(ctx context.Context, c engine.Caller, body []byte) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c := caller(r)
		if refuseUnknown(w, c) {
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, api.MaxRequestBody))
		if err != nil {
			writeError(w, api.Errorf(api.CodeBadRequest, "request body: %w", err))
			return
		}
		var undo func(error)
		if r.URL.Path == api.LocalPathLoginBegin || r.URL.Path == api.LocalPathMobileBegin {
			undo = s.loginStarting(*c)
		}
		v, err := f(r.Context(), *c, body)
		if undo != nil {
			undo(err)
		}
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, v)
	}
}

// loginStarting makes c the data owner before its login begins (the
// status shows the login at once); the returned func undoes that if the
// engine refused the login.
func (s *Server) loginStarting(c engine.Caller) func(error) {
	if s.eng.Owner() != "" {
		return nil // a session is up: the engine refuses; nothing changes
	}
	s.mu.Lock()
	prev := s.lastLogin
	s.lastLogin = c.UID
	s.mu.Unlock()
	if prev != c.UID {
		s.log.Info("local API: a login by another local user starts", "uid", c.UID, "previous_uid", prev)
	}
	return func(err error) {
		switch api.CodeOf(err) {
		case api.CodeForbidden, api.CodeAlreadyActive, api.CodeUnavailable:
			s.mu.Lock()
			if s.lastLogin == c.UID {
				s.lastLogin = prev
			}
			s.mu.Unlock()
			return
		}
		if prev != "" && prev != c.UID {
			s.eng.ForgetHistory()
		}
	}
}

// decode reads a request body. Unknown fields are ignored, so a newer front
// end can talk to an older svpnd (configuration files, by contrast, are read strictly).
func decode(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return api.Errorf(api.CodeBadRequest, "malformed JSON: %w", err)
	}
	return nil
}

// watch streams the status as newline-delimited JSON until the client goes
// away or the daemon stops. Each status is shown as the caller may see it
// at that moment: a session of another user starting reduces the stream.
func (s *Server) watch(w http.ResponseWriter, r *http.Request, _ bool) {
	c := *caller(r)
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeError(w, api.Errorf(api.CodeInternal, "streaming unsupported"))
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	ctx := r.Context()
	enc := json.NewEncoder(w)
	for st := range chanUntil(ctx, s.eng.Watch(ctx)) {
		if err := enc.Encode(s.view(st, s.fullView(c))); err != nil {
			return
		}
		flusher.Flush()
	}
}

// chanUntil forwards ch until ctx ends.
func chanUntil(ctx context.Context, ch <-chan api.Status) <-chan api.Status {
	out := make(chan api.Status)
	go func() {
		defer close(out)
		for {
			select {
			case <-ctx.Done():
				return
			case st, ok := <-ch:
				if !ok {
					return
				}
				select {
				case out <- st:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}

func (s *Server) profileInfo(w http.ResponseWriter, r *http.Request) {
	pi := api.ProfileInfo{Profile: *s.profile}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	info, err := s.gateway.Info(ctx)
	if err != nil {
		pi.Error = api.CodeOf(err)
	} else {
		pi.Gateway = info
	}
	writeJSON(w, http.StatusOK, pi)
}

// bundle writes the support bundle: one at a time, and at most one per
// caller every bundleInterval, since each runs several system commands.
func (s *Server) bundle(w http.ResponseWriter, r *http.Request, c engine.Caller) {
	s.mu.Lock()
	now := s.now()
	if s.bundling {
		s.mu.Unlock()
		writeError(w, api.Errorf(api.CodeRateLimited, "a support bundle is being made; try again in a moment"))
		return
	}
	if last, ok := s.bundled[c.UID]; ok && now.Sub(last) < bundleInterval {
		s.mu.Unlock()
		writeError(w, api.Errorf(api.CodeRateLimited, "a support bundle was made %s ago; wait %s between two", now.Sub(last).Round(time.Second), bundleInterval))
		return
	}
	s.bundling = true
	s.bundled[c.UID] = now
	for uid, t := range s.bundled { // forget callers long gone
		if now.Sub(t) >= bundleInterval && uid != c.UID {
			delete(s.bundled, uid)
		}
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.bundling = false
		s.mu.Unlock()
	}()

	d := s.eng.Diagnostics(r.Context())
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="svpn-diagnostics.zip"`)
	red := diag.NewRedactor(s.eng.Secrets()...)
	if err := diag.WriteBundle(r.Context(), w, d, s.logs(), diag.NetworkCommands(), red); err != nil {
		s.log.Error("writing the support bundle", "err", err)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeError sends an error as api.ErrorResponse; a gateway refusal is
// passed through whole (violations, change token, install URL).
func writeError(w http.ResponseWriter, err error) {
	var resp api.ErrorResponse
	if r, ok := api.RefusalOf(err); ok {
		resp = *r
	} else {
		resp = api.ErrorResponse{Code: api.CodeOf(err), Message: err.Error()}
	}
	// The status of the code in the error catalogue (a relayed gateway
	// refusal keeps the gateway's); 409 for the local API's own refusals.
	status := api.HTTPStatus(resp.Code)
	if status == 0 {
		status = http.StatusConflict
	}
	var ae *api.Error
	if resp.Code == api.CodeInternal && !errors.As(err, &ae) {
		resp.Message = "internal error: " + err.Error()
	}
	writeJSON(w, status, resp)
}
