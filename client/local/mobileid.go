package local

import (
	"context"
	"net/http"

	"github.com/opensvpn/svpn/api"
)

// MobileBegin starts a QR login (모바일 공무원증) in svpnd; userID may be
// empty (any account the credential names).
func (c *Client) MobileBegin(ctx context.Context, userID string) (*api.MobileLoginBeginResponse, error) {
	var resp api.MobileLoginBeginResponse
	if err := c.do(ctx, http.MethodPost, api.LocalPathMobileBegin, api.MobileLoginBeginRequest{UserID: userID}, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// MobileWait blocks until the QR login ends: connected, or why not.
func (c *Client) MobileWait(ctx context.Context, loginID string) (api.Status, error) {
	var st api.Status
	err := c.do(ctx, http.MethodPost, api.LocalPathMobileWait, api.MobileLoginRef{LoginID: loginID}, &st)
	return st, err
}

// MobileCancel stops the QR login.
func (c *Client) MobileCancel(ctx context.Context, loginID string) (api.Status, error) {
	var st api.Status
	err := c.do(ctx, http.MethodPost, api.LocalPathMobileCancel, api.MobileLoginRef{LoginID: loginID}, &st)
	return st, err
}
