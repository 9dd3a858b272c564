package engine

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/gatewayapi"
	"github.com/opensvpn/svpn/tunnel/firewall"
)

// probeTimeout bounds the captive-portal probe: it runs after the gateway
// was found unreachable, and the user is waiting.
const probeTimeout = 5 * time.Second

// explainUnreachable turns "gateway unreachable" into "sign in to this
// network first" when the profile's probe URL, fetched in plain HTTP,
// answers something other than 204 No Content: a hotel or café network
// that intercepts web traffic until its page is accepted. Any other error,
// and any failure of the probe itself, is returned as it was.
func (e *Engine) explainUnreachable(ctx context.Context, err error) error {
	switch api.CodeOf(err) {
	case gatewayapi.CodeUnreachable, gatewayapi.CodeTLS, gatewayapi.CodeBadResponse:
	default:
		return err
	}
	probe := e.o.Profile.CaptiveProbeURL
	if probe == "" {
		return err
	}
	where, intercepted := probeCaptive(ctx, probe)
	if !intercepted {
		return err
	}
	e.log.Warn("captive portal: the network intercepts HTTP", "probe", probe, "answer", where)
	return &api.Error{Code: api.CodeCaptivePortal,
		Message: fmt.Sprintf("the network intercepts web traffic (the probe %s was answered by %s): sign in to the network in a browser first", probe, where), Err: err}
}

// probeCaptive fetches probe without following redirects. It reports who
// answered and whether the answer was an interception: anything but 204.
// Its sockets carry ProbeMark, which the kill switch lets reach HTTP and
// DNS, so the probe works while everything else is blocked.
func probeCaptive(ctx context.Context, probe string) (string, bool) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	d := &net.Dialer{Control: firewall.MarkControl(ProbeMark)}
	d.Resolver = &net.Resolver{PreferGo: true, Dial: d.DialContext}
	hc := &http.Client{
		Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true, Proxy: nil},
		// A redirect is the portal's answer, not something to follow.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	defer hc.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, probe, nil)
	if err != nil {
		return "", false
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", false // nothing answered: really unreachable
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusNoContent {
		return "", false
	}
	where := resp.Status
	if loc, err := resp.Location(); err == nil {
		where += " → " + (&url.URL{Scheme: loc.Scheme, Host: loc.Host, Path: loc.Path}).String()
	}
	return where, true
}

// CaptiveExempt opens the kill switch for HTTP, HTTPS and DNS for the
// profile's captive_exemption_minutes, so the user can sign in to a
// hotel's page; it ends by itself (the kernel times the nftables elements
// out even if svpnd dies). Only the kill switch's owner or an
// administrator may, only where the profile allows it and the gateway's
// group does not forbid it; each one is logged, kept in the diagnostics
// and reported to the gateway's audit log (sessionevents.go).
func (e *Engine) CaptiveExempt(ctx context.Context, c Caller) (api.Status, error) {
	fw := e.o.Firewall
	minutes := e.o.Profile.CaptiveExemptionMinutes
	var p, owner, ok = firewallPolicy(fw)
	if minutes <= 0 || !ok || !p.KillSwitch {
		return api.Status{}, api.Errorf(api.CodeCaptiveExemptionRefused, "no captive-portal exemption: the profile allows none or no kill switch is in force")
	}
	if p.NoExemption {
		return api.Status{}, api.Errorf(api.CodeCaptiveExemptionRefused, "no captive-portal exemption: the gateway's policy for your group forbids it")
	}
	if !c.Admin && owner != "" && owner != c.UID {
		return api.Status{}, api.Errorf(api.CodeKillSwitchOwner, "the kill switch belongs to another user's session")
	}
	d := time.Duration(min(minutes, api.MaxCaptiveExemptionMinutes)) * time.Minute
	until := e.o.Now().Add(d)
	p.ExemptUntil = until
	if err := fw.Apply(p, owner); err != nil {
		return api.Status{}, api.Errorf(api.CodeFirewall, "firewall: %w", err)
	}
	e.log.Warn("audit: captive portal exemption opened: HTTP, HTTPS and DNS pass the kill switch", "by", c.UID, "until", until)
	// The gateway's audit log gets it as soon as the gateway is reachable.
	e.recordEvent(api.SessionEvent{Kind: api.SessionEventCaptiveExemption, At: e.o.Now().UTC(), Minutes: int(d / time.Minute), By: c.UID})
	e.mu.Lock()
	e.notes = append(e.notes, fmt.Sprintf("%s captive portal exemption opened by uid %s until %s", e.o.Now().Format(time.RFC3339), c.UID, until.Format(time.RFC3339)))
	if e.exemptTimer != nil {
		e.exemptTimer.Stop()
	}
	e.exemptTimer = time.AfterFunc(d, e.endExemption)
	e.updateLocked(func(st *api.Status) { st.CaptiveExemptUntil = until })
	e.mu.Unlock()
	return e.Status(), nil
}

// endExemption takes a lapsed exemption out of the rules (the kernel has
// already stopped honouring it on Linux; other OSes need the new rules).
func (e *Engine) endExemption() {
	fw := e.o.Firewall
	p, owner, ok := firewallPolicy(fw)
	if ok && !p.ExemptUntil.IsZero() && !p.ExemptUntil.After(e.o.Now()) {
		p.ExemptUntil = time.Time{}
		if err := fw.Apply(p, owner); err != nil {
			e.log.Error("ending the captive portal exemption", "err", err)
		}
	}
	e.log.Info("audit: captive portal exemption ended")
	e.mu.Lock()
	e.updateLocked(func(st *api.Status) { st.CaptiveExemptUntil = time.Time{} })
	e.mu.Unlock()
}

func firewallPolicy(fw Firewall) (p firewall.Policy, owner string, ok bool) {
	if fw == nil {
		return p, "", false
	}
	return fw.Policy()
}
