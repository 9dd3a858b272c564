package localapi

import (
	"context"
	"net/http"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/engine"
)

// certMoveRoutes serves the certificate-move relay calls (package
// certmove). svpnd only forwards them to the installed profile's gateway
// over its verified TLS: Open with the session's token, for the session's
// owner (the engine checks); Join, Put and Get for any known local user,
// as the gateway serves them to anyone: a slot token, which only the front
// end that opened or joined the slot holds, authorises Put and Get. The
// messages are opaque here: CPace messages, tags and ciphertext.
func (s *Server) certMoveRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST "+api.LocalPathCertMoveOpen, s.control(func(ctx context.Context, c engine.Caller, body []byte) (any, error) {
		var req api.CertMoveOpenRequest
		if err := decode(body, &req); err != nil {
			return nil, err
		}
		return s.eng.CertMoveOpen(ctx, c, &req)
	}))
	mux.HandleFunc("POST "+api.LocalPathCertMoveJoin, s.control(func(ctx context.Context, _ engine.Caller, body []byte) (any, error) {
		var req api.CertMoveJoinRequest
		if err := decode(body, &req); err != nil {
			return nil, err
		}
		return s.gateway.CertMoveJoin(ctx, &req)
	}))
	mux.HandleFunc("POST "+api.LocalPathCertMovePut, s.control(func(ctx context.Context, _ engine.Caller, body []byte) (any, error) {
		var req api.CertMovePutRequest
		if err := decode(body, &req); err != nil {
			return nil, err
		}
		return struct{}{}, s.gateway.CertMovePut(ctx, &req)
	}))
	mux.HandleFunc("POST "+api.LocalPathCertMoveGet, s.control(func(ctx context.Context, _ engine.Caller, body []byte) (any, error) {
		var req api.CertMoveGetRequest
		if err := decode(body, &req); err != nil {
			return nil, err
		}
		return s.gateway.CertMoveGet(ctx, &req)
	}))
}
