package gatewayapi

import (
	"context"
	"net/http"

	"github.com/opensvpn/svpn/api"
)

// Resume moves a live session to the gateway node this client talks to
// (api.PathResume): the answer's tunnel is that node's, with the session's
// address and WireGuard key. The session token stays the one the caller
// has; the answer carries none.
func (c *Client) Resume(ctx context.Context, token string) (*api.LoginResponse, error) {
	var resp api.LoginResponse
	if err := c.do(ctx, http.MethodPost, api.PathResume, token, struct{}{}, &resp); err != nil {
		return nil, err
	}
	resp.SessionToken = ""
	return &resp, nil
}
