package api

import (
	"fmt"
	"net/url"
)

// PathResume moves a live session to the node the request reaches:
// POST with Authorization: Bearer <session token>, no body. It answers a
// LoginResponse without the token (the client keeps the one it has) whose
// tunnel is this node's, with the same address and WireGuard key as before.
// A client uses it when its node stops answering or is draining; only if the
// session has ended does it log in again.
const PathResume = "/api/v1/session/resume"

// Gateways is the ordered list of gateway nodes of a profile: gateway_url
// first, then gateway_urls, without repeats.
func (p *Profile) Gateways() []string {
	out := []string{p.GatewayURL}
	for _, u := range p.GatewayURLs {
		dup := false
		for _, v := range out {
			dup = dup || v == u
		}
		if !dup {
			out = append(out, u)
		}
	}
	return out
}

// validateGatewayURLs checks the extra nodes of a profile like gateway_url.
func (p *Profile) validateGatewayURLs() []error {
	var errs []error
	for i, v := range p.GatewayURLs {
		u, err := url.Parse(v)
		if err != nil || u.Scheme != "https" || u.Host == "" || (u.Path != "" && u.Path != "/") {
			errs = append(errs, fmt.Errorf("gateway_urls[%d]: an https://host[:port] URL, got %q", i, v))
		}
	}
	return errs
}
