package local

import (
	"context"
	"net/http"

	"github.com/opensvpn/svpn/api"
)

// The certificate-move relay through svpnd; *Client is a certmove.Relay.

// CertMoveOpen opens a slot in the logged-in session (its owner only).
func (c *Client) CertMoveOpen(ctx context.Context, req *api.CertMoveOpenRequest) (*api.CertMoveOpenResponse, error) {
	var r api.CertMoveOpenResponse
	if err := c.do(ctx, http.MethodPost, api.LocalPathCertMoveOpen, req, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// CertMoveJoin joins a slot as the receiver; no session is needed.
func (c *Client) CertMoveJoin(ctx context.Context, req *api.CertMoveJoinRequest) (*api.CertMoveJoinResponse, error) {
	var r api.CertMoveJoinResponse
	if err := c.do(ctx, http.MethodPost, api.LocalPathCertMoveJoin, req, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// CertMovePut stores one message of a side.
func (c *Client) CertMovePut(ctx context.Context, req *api.CertMovePutRequest) error {
	return c.do(ctx, http.MethodPost, api.LocalPathCertMovePut, req, nil)
}

// CertMoveGet waits for the other side's message.
func (c *Client) CertMoveGet(ctx context.Context, req *api.CertMoveGetRequest) (*api.CertMoveGetResponse, error) {
	var r api.CertMoveGetResponse
	if err := c.do(ctx, http.MethodPost, api.LocalPathCertMoveGet, req, &r); err != nil {
		return nil, err
	}
	return &r, nil
}
