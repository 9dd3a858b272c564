package localapi

import (
	"context"
	"net/http"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/engine"
)

// mobileRoutes adds the QR login (모바일 공무원증): begin returns the QR
// to show, wait blocks until svpnd's login ends, cancel stops it.
func (s *Server) mobileRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST "+api.LocalPathMobileBegin, s.control(func(ctx context.Context, c engine.Caller, body []byte) (any, error) {
		var req api.MobileLoginBeginRequest
		if err := decode(body, &req); err != nil {
			return nil, err
		}
		return s.eng.BeginMobileLogin(ctx, c, req.UserID)
	}))
	mux.HandleFunc("POST "+api.LocalPathMobileWait, s.control(func(ctx context.Context, c engine.Caller, body []byte) (any, error) {
		var req api.MobileLoginRef
		if err := decode(body, &req); err != nil {
			return nil, err
		}
		return s.eng.WaitMobileLogin(ctx, c, req.LoginID)
	}))
	mux.HandleFunc("POST "+api.LocalPathMobileCancel, s.control(func(ctx context.Context, c engine.Caller, body []byte) (any, error) {
		var req api.MobileLoginRef
		if err := decode(body, &req); err != nil {
			return nil, err
		}
		return s.eng.CancelMobileLogin(ctx, c, req.LoginID)
	}))
}
