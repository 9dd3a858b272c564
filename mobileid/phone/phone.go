// Package phone is the phone's side of the mobile ID protocol: fetch the
// verifier's profile for a scanned M200, and answer it with a
// presentation (M400) or a refusal (M900). cmd/svpn-wallet and tests use
// it; the gateway never links it (cmd/svpn-gateway's TestDeps).
package phone

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/mobileid"
)

// Phone speaks to verifiers over HTTPS.
type Phone struct {
	http *http.Client
	now  func() time.Time
}

// New returns a phone that trusts roots for the verifiers' TLS (nil: the
// system's).
func New(roots *x509.CertPool) *Phone {
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}, Proxy: nil}
	return &Phone{http: &http.Client{Transport: tr, Timeout: 15 * time.Second}, now: time.Now}
}

// Request is a scanned QR with its verifier's checked profile.
type Request struct {
	QR      mobileid.Request
	Profile *mobileid.Profile
}

// Fetch gets and checks the profile of a scanned M200: signed by the key
// it carries, fetched over TLS from the QR's host, for this transaction,
// unexpired, answering to the same origin.
func (p *Phone) Fetch(ctx context.Context, qr mobileid.Request) (*Request, error) {
	var resp mobileid.ProfileResponse
	if err := p.post(ctx, qr.Host+api.PathMobileProfile, mobileid.NewProfileRequest(qr.TrxCode), &resp); err != nil {
		return nil, err
	}
	if err := mobileid.CheckHeader(resp.Header, mobileid.CmdProfile); err != nil || resp.TrxCode != qr.TrxCode {
		return nil, api.Errorf(api.CodeMobileInvalid, "the verifier's answer is not the profile of this QR")
	}
	prof, _, err := mobileid.ParseProfile(resp.Profile)
	if err != nil {
		return nil, api.Errorf(api.CodeMobileInvalid, "%w", err)
	}
	switch {
	case prof.TrxCode != qr.TrxCode:
		return nil, api.Errorf(api.CodeMobileInvalid, "the profile is for another transaction")
	case prof.Expiry == nil || p.now().After(prof.Expiry.Time()):
		return nil, api.Errorf(api.CodeMobileExpired, "the profile expired")
	case !sameOrigin(qr.Host, prof.Callback) || !sameOrigin(qr.Host, prof.Decline):
		return nil, api.Errorf(api.CodeMobileInvalid, "the profile answers to another site than the QR's")
	case prof.Nonce == "" || len(prof.ShortCode) != 4:
		return nil, api.Errorf(api.CodeMobileInvalid, "the profile has no nonce or code")
	}
	return &Request{QR: qr, Profile: prof}, nil
}

func sameOrigin(host, u string) bool {
	h, err1 := url.Parse(host)
	v, err2 := url.Parse(u)
	return err1 == nil && err2 == nil && v.Scheme == "https" && v.Host == h.Host
}

// Approve signs and posts the presentation; nil means the verifier
// accepted it.
func (p *Phone) Approve(ctx context.Context, r *Request, holder *ecdsa.PrivateKey, credential string) error {
	vp, err := mobileid.Present(holder, credential, r.Profile, p.now())
	if err != nil {
		return err
	}
	var resp mobileid.PresentationResponse
	if err := p.post(ctx, r.Profile.Callback, mobileid.NewPresentationRequest(r.QR.TrxCode, vp), &resp); err != nil {
		return err
	}
	if resp.Result != "accepted" {
		return api.Errorf(api.CodeMobileInvalid, "the verifier did not accept: %q", resp.Result)
	}
	return nil
}

// PostPresentation posts a presentation as is (tests replay with it).
func (p *Phone) PostPresentation(ctx context.Context, callback, trx, vp string) error {
	var resp mobileid.PresentationResponse
	return p.post(ctx, callback, mobileid.NewPresentationRequest(trx, vp), &resp)
}

// Decline tells the verifier the holder refused.
func (p *Phone) Decline(ctx context.Context, r *Request) error {
	var resp mobileid.Error
	return p.post(ctx, r.Profile.Decline, mobileid.NewError(r.QR.TrxCode, mobileid.ErrDeclined, api.CodeMobileDeclined, "declined by the holder"), &resp)
}

// post sends a message; an M900 answer is returned as *mobileid.Error.
func (p *Phone) post(ctx context.Context, u string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(b))
	if err != nil {
		return api.Errorf(api.CodeMobileInvalid, "verifier URL: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.http.Do(req)
	if err != nil {
		return api.Errorf(api.CodeGatewayUnreachable, "the verifier cannot be reached: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return api.Errorf(api.CodeGatewayUnreachable, "reading the verifier's answer: %w", err)
	}
	var e mobileid.Error
	if json.Unmarshal(data, &e) == nil && e.Cmd == mobileid.CmdError && resp.StatusCode != http.StatusOK {
		return &e
	}
	if resp.StatusCode != http.StatusOK {
		return api.Errorf(api.CodeGatewayBadResponse, "the verifier answered %s", resp.Status)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return api.Errorf(api.CodeGatewayBadResponse, "the verifier's answer: %v", fmt.Sprint(err))
	}
	return nil
}
