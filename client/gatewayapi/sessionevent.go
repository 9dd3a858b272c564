package gatewayapi

import (
	"context"
	"net/http"

	"github.com/opensvpn/svpn/api"
)

// ReportEvent hands the gateway's audit log something that happened on
// this PC during the session token's session (a captive-portal exemption).
func (c *Client) ReportEvent(ctx context.Context, token string, ev api.SessionEvent) error {
	return c.do(ctx, http.MethodPost, api.PathSessionEvent, token, ev, nil)
}
