package gatewayapi

import (
	"strings"
	"sync/atomic"

	"github.com/opensvpn/svpn/api"
)

// baseURL is the gateway node a Client talks to. A gateway of several
// nodes (api.Profile.Gateways) shares the TLS trust of one, so moving to
// another node changes only the URL.
type baseURL struct{ v atomic.Pointer[string] }

func newBaseURL(u string) *baseURL {
	b := &baseURL{}
	b.v.Store(&u)
	return b
}

// Base is the URL of the node in use.
func (c *Client) Base() string { return *c.base.v.Load() }

// SetBase moves the client to another node of the same gateway.
func (c *Client) SetBase(u string) error {
	if !strings.HasPrefix(u, "https://") {
		return &api.Error{Code: api.CodeBadRequest, Message: "gateway URL must be https://"}
	}
	u = strings.TrimRight(u, "/")
	c.base.v.Store(&u)
	return nil
}

// On returns a client of the node at u that shares c's TLS trust and
// connections, for trying a node before moving to it.
func (c *Client) On(u string) (*Client, error) {
	n := *c
	n.base = newBaseURL(strings.TrimRight(u, "/"))
	if !strings.HasPrefix(u, "https://") {
		return nil, &api.Error{Code: api.CodeBadRequest, Message: "gateway URL must be https://"}
	}
	return &n, nil
}
