package gatewayapi

import (
	"context"
	"net/http"

	"github.com/opensvpn/svpn/api"
)

// CertMoveOpen opens a certificate-move slot inside the session of token.
func (c *Client) CertMoveOpen(ctx context.Context, token string, req *api.CertMoveOpenRequest) (*api.CertMoveOpenResponse, error) {
	var resp api.CertMoveOpenResponse
	if err := c.do(ctx, http.MethodPost, api.PathCertMoveOpen, token, req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// CertMoveJoin joins a slot as the receiver (no session).
func (c *Client) CertMoveJoin(ctx context.Context, req *api.CertMoveJoinRequest) (*api.CertMoveJoinResponse, error) {
	var resp api.CertMoveJoinResponse
	if err := c.do(ctx, http.MethodPost, api.PathCertMoveJoin, "", req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// CertMovePut stores a message of a side (its slot token authorises it).
func (c *Client) CertMovePut(ctx context.Context, req *api.CertMovePutRequest) error {
	return c.do(ctx, http.MethodPost, api.PathCertMovePut, "", req, nil)
}

// CertMoveGet waits (up to req.WaitSeconds) for the other side's message.
func (c *Client) CertMoveGet(ctx context.Context, req *api.CertMoveGetRequest) (*api.CertMoveGetResponse, error) {
	var resp api.CertMoveGetResponse
	if err := c.do(ctx, http.MethodPost, api.PathCertMoveGet, "", req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// CertMoveRelay is the relay of a gateway as package certmove uses it,
// opening slots in the session of Token.
type CertMoveRelay struct {
	Client *Client
	Token  string
}

func (r CertMoveRelay) CertMoveOpen(ctx context.Context, req *api.CertMoveOpenRequest) (*api.CertMoveOpenResponse, error) {
	return r.Client.CertMoveOpen(ctx, r.Token, req)
}

func (r CertMoveRelay) CertMoveJoin(ctx context.Context, req *api.CertMoveJoinRequest) (*api.CertMoveJoinResponse, error) {
	return r.Client.CertMoveJoin(ctx, req)
}

func (r CertMoveRelay) CertMovePut(ctx context.Context, req *api.CertMovePutRequest) error {
	return r.Client.CertMovePut(ctx, req)
}

func (r CertMoveRelay) CertMoveGet(ctx context.Context, req *api.CertMoveGetRequest) (*api.CertMoveGetResponse, error) {
	return r.Client.CertMoveGet(ctx, req)
}
