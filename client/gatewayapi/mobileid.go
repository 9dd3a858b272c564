package gatewayapi

import (
	"context"
	"net/http"

	"github.com/opensvpn/svpn/api"
)

// MobileStart starts a QR login on this connection: only this connection
// collects its verdict (MobileResult).
func (l *LoginChannel) MobileStart(ctx context.Context, req *api.MobileStartRequest) (*api.MobileStartResponse, error) {
	var resp api.MobileStartResponse
	if err := l.do(ctx, api.PathMobileStart, req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// MobileResult waits, at most api.MobileResultWait on the gateway, for the
// phone's answer.
func (l *LoginChannel) MobileResult(ctx context.Context, req *api.MobileResultRequest) (*api.MobileResultResponse, error) {
	var resp api.MobileResultResponse
	// The gateway holds the request up to MobileResultWait: the client's
	// bound is that plus the usual one.
	hc := &http.Client{Transport: l.http.Transport, Timeout: api.MobileResultWait + l.c.timeout}
	err := l.c.doOn(ctx, hc, http.MethodPost, api.PathMobileResult, "", req, &resp)
	if err != nil {
		return nil, l.channelErr(err)
	}
	return &resp, nil
}
