// Package localapi is svpnd's one front door: HTTP + JSON over a unix
// socket (a named pipe on Windows), the server and the client svpnctl and
// the desktop app use. Who may do what is decided per request from the
// connecting process's identity, which the OS vouches for.
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
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/diag"
	"github.com/opensvpn/svpn/client/engine"
	"github.com/opensvpn/svpn/client/gatewayapi"
)

// Server serves the local API for one engine.
type Server struct {
	eng     *engine.Engine
	log     *slog.Logger
	logs    func() []string // the daemon's recent log lines
	gateway *gatewayapi.Client
	profile *api.Profile
}

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
	return &Server{eng: o.Engine, log: o.Logger, logs: o.Logs, gateway: o.Gateway, profile: o.Profile}
}

type callerKey struct{}

// Serve answers requests on ln until ctx ends, then shuts down and waits
// for every handler (watch streams included) to return.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			id, err := PeerIdentity(c)
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

// Handler returns the HTTP handler (tests may serve it themselves; the
// caller is then unknown and may only read).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+api.LocalPathStatus, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.eng.Status())
	})
	mux.HandleFunc("GET "+api.LocalPathWatch, s.watch)
	mux.HandleFunc("GET "+api.LocalPathProfile, s.profileInfo)
	mux.HandleFunc("GET "+api.LocalPathDiag, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.eng.Diagnostics(r.Context()))
	})
	mux.HandleFunc("GET "+api.LocalPathDiagBundle, s.bundle)
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
	mux.HandleFunc("POST "+api.LocalPathLogout, s.control(func(ctx context.Context, c engine.Caller, body []byte) (any, error) {
		return s.eng.Logout(ctx, c)
	}))
	mux.HandleFunc("POST "+api.LocalPathPassword, s.control(func(ctx context.Context, c engine.Caller, body []byte) (any, error) {
		var req api.LocalPasswordRequest
		if err := decode(body, &req); err != nil {
			return nil, err
		}
		return struct{}{}, s.eng.ChangePassword(ctx, &req)
	}))
	return mux
}

// control wraps a state-changing call: it needs a known caller and a
// bounded body.
func (s *Server) control(f func(ctx context.Context, c engine.Caller, body []byte) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, _ := r.Context().Value(callerKey{}).(*engine.Caller)
		if c == nil {
			writeError(w, api.Errorf(api.CodeForbidden, "the caller's identity is unknown"))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, api.MaxRequestBody))
		if err != nil {
			writeError(w, api.Errorf(api.CodeBadRequest, "request body: %w", err))
			return
		}
		v, err := f(r.Context(), *c, body)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, v)
	}
}

func decode(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return api.Errorf(api.CodeBadRequest, "malformed JSON: %w", err)
	}
	return nil
}

// watch streams the status as newline-delimited JSON until the client goes
// away or the daemon stops.
func (s *Server) watch(w http.ResponseWriter, r *http.Request) {
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
		if err := enc.Encode(st); err != nil {
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
		pi.Error = gatewayapi.Code(err)
	} else {
		pi.Gateway = info
	}
	writeJSON(w, http.StatusOK, pi)
}

func (s *Server) bundle(w http.ResponseWriter, r *http.Request) {
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
	if r, ok := gatewayapi.Refusal(err); ok {
		resp = *r
	} else {
		resp = api.ErrorResponse{Code: api.CodeOf(err), Message: err.Error()}
	}
	status := http.StatusConflict
	switch resp.Code {
	case api.CodeBadRequest:
		status = http.StatusBadRequest
	case api.CodeForbidden:
		status = http.StatusForbidden
	case api.CodeInternal:
		status = http.StatusInternalServerError
	}
	var ae *api.Error
	if resp.Code == api.CodeInternal && !errors.As(err, &ae) {
		resp.Message = "internal error: " + err.Error()
	}
	writeJSON(w, status, resp)
}
