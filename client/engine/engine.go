// Package engine is the client engine inside svpnd: the session state
// machine that logs in through the gateway API, brings the tunnel up, keeps
// the session with heartbeats, survives gateway restarts and network
// changes, and reports every change to the front ends that watch it.
//
// The engine never sees a certificate's private key: a login is two steps,
// Begin (the daemon binds its own fresh WireGuard key into a challenge) and
// Finish (the front end returns the signature it made in its own process).
package engine

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"runtime"
	"sync"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/client/gatewayapi"
	"github.com/opensvpn/svpn/tunnel"
	"github.com/opensvpn/svpn/tunnel/proxy"
	"github.com/opensvpn/svpn/wgkey"
)

// Dialer is a tunnel that can dial into itself (the userspace tunnel).
type Dialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

// NewTunnelFunc brings a tunnel up: a kernel TUN (service mode) or
// netstack (userspace mode).
type NewTunnelFunc func(cfg tunnel.Config) (tunnel.Tunnel, error)

// Options configure an Engine.
type Options struct {
	Profile   *api.Profile
	Gateway   *gatewayapi.Client
	NewTunnel NewTunnelFunc
	// Userspace: serve ProxyAddr (SOCKS5 + HTTP) and a loopback forward to
	// the portal into the tunnel, which must then be a Dialer.
	Userspace         bool
	ProxyAddr         string // e.g. 127.0.0.1:1080
	PortalForwardAddr string // default 127.0.0.1:0
	Posture           func(ctx context.Context) api.Posture
	Device            api.Device
	Version           string
	Logger            *slog.Logger
	// HandshakeTimeout bounds the wait for the first WireGuard handshake
	// after login (default 10 s).
	HandshakeTimeout time.Duration
	// RetryInterval is how soon a failed heartbeat is retried (default 5 s).
	RetryInterval time.Duration
	// UDPWait is how long the profile's transport "auto" waits for a
	// handshake over UDP before moving to TCP (default 2.5 s), and
	// ProbeInterval how often it asks whether UDP works again (default 20 s).
	UDPWait, ProbeInterval time.Duration
	Now                    func() time.Time
	// Firewall, for OS tunnels: the kill switch and leak protection
	// (alwayson.go). nil: none.
	Firewall Firewall
	// EventsFile keeps the events the gateway's audit log has not taken
	// yet (captive-portal exemptions) across restarts (sessionevents.go).
	// Empty: memory only.
	EventsFile string
}

// Caller is who made a local API request: the user who starts a session
// controls it; other users may only read.
type Caller struct {
	UID   string
	Admin bool
}

// Engine is the session state machine. Its methods are safe for concurrent
// use; Close stops every goroutine it started for a session (a Watch's
// goroutine ends with the watcher's context).
//
// Methods named …Locked must be called with mu held; the others take it
// themselves and must be called without it.
type Engine struct {
	o   Options
	log *slog.Logger

	mu       sync.Mutex
	status   api.Status
	owner    string // UID of the session's user
	pending  map[string]*pendingLogin
	sess     *session
	watchers map[chan api.Status]struct{}
	errors   []api.ErrorEvent
	notes    []string
	lastCert *api.CertificateSummary
	keepers  sync.WaitGroup // the heartbeat goroutine of each session
	closed   bool
	// mobile is the QR login svpnd waits on; mobileLast the one that ended
	// last, for a front end that asks after the fact (mobileid.go).
	mobile, mobileLast *mobileLogin
	// exemptTimer ends a captive-portal exemption (captive.go).
	exemptTimer *time.Timer
	fo          failoverState // failover.go
	// unreported are events for the gateway's audit log not yet taken
	// (sessionevents.go).
	unreported []api.SessionEvent
}

type pendingLogin struct {
	userID    string
	owner     string
	key       wgkey.Private
	challenge string
	channel   *gatewayapi.LoginChannel // the TLS connection the signature is bound to
	wantVID   bool                     // the gateway asked for R (first-login identity check)
	expires   time.Time
}

// pendingTTL bounds how long a begun login waits for its signature: the
// front end signs right after Begin, and an idle TLS connection is not
// kept open for longer.
const pendingTTL = 2 * time.Minute

// maxPending bounds the logins waiting for a signature, each holding a TLS
// connection to the gateway.
const maxPending = 4

// session is a logged-in session with its tunnel and the goroutines that
// keep it.
type session struct {
	resp     *api.LoginResponse
	key      wgkey.Private
	tun      tunnel.Tunnel
	endpoint netip.AddrPort
	kick     chan struct{} // a network change: heartbeat now
	tr       *transport    // UDP or the stream, and why
	// userspace mode: the proxy's credentials and the portal forward's
	// token, fresh for each session
	creds  proxy.Credentials
	token  string
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New returns an Engine in the disconnected state.
func New(o Options) *Engine {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.HandshakeTimeout == 0 {
		o.HandshakeTimeout = 10 * time.Second
	}
	if o.RetryInterval == 0 {
		o.RetryInterval = 5 * time.Second
	}
	if o.UDPWait == 0 {
		o.UDPWait = defaultUDPWait
	}
	if o.ProbeInterval == 0 {
		o.ProbeInterval = defaultProbeInterval
	}
	if o.PortalForwardAddr == "" {
		o.PortalForwardAddr = "127.0.0.1:0"
	}
	if o.Posture == nil {
		o.Posture = func(context.Context) api.Posture { return api.Posture{} }
	}
	e := &Engine{o: o, log: o.Logger, pending: map[string]*pendingLogin{}, watchers: map[chan api.Status]struct{}{}}
	e.status = api.Status{State: api.StateDisconnected, Gateway: o.Profile.GatewayURL, GatewayName: o.Profile.Name,
		Userspace: o.Userspace, Since: o.Now(), KillSwitch: killSwitchAtStart(o.Firewall)}
	var err error
	if e.unreported, err = loadEvents(o.EventsFile); err != nil {
		e.log.Error("audit", "err", err)
	}
	return e
}

// Status returns the current status with live tunnel counters.
func (e *Engine) Status() api.Status {
	e.mu.Lock()
	st := e.status
	sess := e.sess
	e.mu.Unlock()
	if sess != nil && sess.tun != nil {
		if s, err := sess.tun.Stats(); err == nil {
			st.LastHandshake, st.RxBytes, st.TxBytes = s.LastHandshake, s.RxBytes, s.TxBytes
			if s.Endpoint != "" {
				st.Endpoint = s.Endpoint
			}
		}
	}
	if !st.SessionExpiresAt.IsZero() {
		st.ExpiringSoon = st.SessionExpiresAt.Sub(e.o.Now()) < api.SessionWarning
	}
	return st
}

// Watch returns a channel that receives the status now and after every
// change; it is closed when ctx ends. A slow reader sees the latest status,
// never a backlog.
func (e *Engine) Watch(ctx context.Context) <-chan api.Status {
	ch := make(chan api.Status, 1)
	e.mu.Lock()
	ch <- e.status
	e.watchers[ch] = struct{}{}
	e.mu.Unlock()
	go func() { // owned by the caller's ctx; exits when it ends
		<-ctx.Done()
		e.mu.Lock()
		delete(e.watchers, ch)
		close(ch) // under e.mu: updateLocked never sends on it again
		e.mu.Unlock()
	}()
	return ch
}

// updateLocked applies f to the status, stamps Since when the state
// changes, and hands the new status to every watcher. e.mu must be held:
// watchers are added and closed under it, so it never sends on a closed
// channel, and each watcher sees the changes in order.
func (e *Engine) updateLocked(f func(st *api.Status)) {
	old := e.status.State
	f(&e.status)
	if e.status.State != old {
		e.status.Since = e.o.Now()
	}
	e.status.Seq++
	for ch := range e.watchers {
		select { // keep only the newest status
		case <-ch:
		default:
		}
		ch <- e.status
	}
}

// recordErrorLocked appends err, with its code, to the error history the
// diagnostics show (the newest 50) and logs it. e.mu must be held.
func (e *Engine) recordErrorLocked(err error) {
	code := api.CodeOf(err)
	ev := api.ErrorEvent{Time: e.o.Now(), Code: code, Message: err.Error()}
	e.errors = append(e.errors, ev)
	if len(e.errors) > 50 {
		e.errors = e.errors[len(e.errors)-50:]
	}
	e.log.Warn("error", "code", code, "err", err)
}

func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// mayControlLocked reports whether c may start or end sessions now: an
// administrator always, anyone while no user owns the engine, otherwise
// only the owner. e.mu must be held (it reads e.owner).
func (e *Engine) mayControlLocked(c Caller) bool {
	return c.Admin || e.owner == "" || e.owner == c.UID
}

// BeginLogin fetches a challenge bound to a fresh WireGuard key.
func (e *Engine) BeginLogin(ctx context.Context, c Caller, userID string) (*api.LoginBeginResponse, error) {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, api.Errorf(api.CodeUnavailable, "svpnd is shutting down")
	}
	if e.sess != nil {
		e.mu.Unlock()
		return nil, api.Errorf(api.CodeAlreadyActive, "a session is active; log out first")
	}
	if !e.mayControlLocked(c) {
		e.mu.Unlock()
		return nil, api.Errorf(api.CodeForbidden, "another user's login is in progress")
	}
	e.updateLocked(func(st *api.Status) {
		st.State, st.User, st.LastErrorCode, st.LastError, st.EndReason = api.StateAuthenticating, userID, "", "", ""
	})
	e.mu.Unlock()

	key, err := wgkey.NewPrivate()
	if err != nil {
		return nil, e.loginFailed(err)
	}
	pub := key.Public().String()
	lc, ch, err := e.challenge(ctx, userID, pub) // failover.go: another node, or waits while busy
	if err != nil {
		return nil, e.loginFailed(e.explainUnreachable(ctx, err))
	}
	// The signed bytes name the gateway ID pinned in the profile and this
	// connection's channel binding; the gateway contributes only the
	// challenge, and only if it is a short base64url nonce.
	binding := api.LoginBinding{GatewayID: e.o.Profile.GatewayID, UserID: userID, WGPublicKey: pub,
		Challenge: ch.Challenge, ChannelBinding: lc.ChannelBinding()}
	if _, err := binding.Message(); err != nil {
		lc.Close()
		return nil, e.loginFailed(&api.Error{Code: gatewayapi.CodeBadResponse, Message: "the gateway's challenge is not a nonce", Err: err})
	}
	id := randomID()
	now := e.o.Now()
	expires := ch.ExpiresAt
	if limit := now.Add(pendingTTL); expires.IsZero() || expires.After(limit) {
		expires = limit
	}
	var evicted []*pendingLogin
	e.mu.Lock()
	for k, p := range e.pending { // forget stale logins
		if now.After(p.expires) {
			evicted = append(evicted, p)
			delete(e.pending, k)
		}
	}
	for len(e.pending) >= maxPending { // and the oldest beyond the bound
		var oldest string
		for k, p := range e.pending {
			if oldest == "" || p.expires.Before(e.pending[oldest].expires) {
				oldest = k
			}
		}
		evicted = append(evicted, e.pending[oldest])
		delete(e.pending, oldest)
	}
	e.pending[id] = &pendingLogin{userID: userID, owner: c.UID, key: key, challenge: ch.Challenge, channel: lc, wantVID: ch.IdentityCheck, expires: expires}
	e.mu.Unlock()
	for _, p := range evicted {
		p.channel.Close()
	}
	return &api.LoginBeginResponse{LoginID: id, Binding: binding, ExpiresAt: expires}, nil
}

// loginFailed moves to disconnected (or password_change_required) with the
// error's code, applies also to the status in the same update, and
// returns the error.
func (e *Engine) loginFailed(err error, also ...func(*api.Status)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	code := api.CodeOf(err)
	state := api.StateDisconnected
	if code == api.CodePasswordChangeRequired {
		// The first login's password change is a step of the login, not a
		// failure: it is not listed among the recent errors.
		state = api.StatePasswordChangeRequired
	} else {
		e.recordErrorLocked(err)
	}
	e.updateLocked(func(st *api.Status) {
		st.State, st.LastErrorCode, st.LastError = state, code, err.Error()
		for _, f := range also {
			f(st)
		}
	})
	return err
}

// CancelLogin abandons a begun login the front end cannot finish: its
// connection to the gateway is closed and, unless another login or a
// session is under way, the state is disconnected again. Only the user
// who began it (or an administrator) may.
func (e *Engine) CancelLogin(ctx context.Context, c Caller, id string) (api.Status, error) {
	e.mu.Lock()
	p, ok := e.pending[id]
	if !ok {
		e.mu.Unlock()
		return api.Status{}, api.Errorf(api.CodeLoginExpired, "the login expired or is unknown")
	}
	if p.owner != c.UID && !c.Admin {
		e.mu.Unlock()
		return api.Status{}, api.Errorf(api.CodeForbidden, "this login was started by another user")
	}
	delete(e.pending, id)
	if e.sess == nil && len(e.pending) == 0 && e.status.State == api.StateAuthenticating {
		e.updateLocked(func(st *api.Status) { st.State = api.StateDisconnected })
	}
	e.mu.Unlock()
	p.channel.Close()
	return e.Status(), nil
}

// FinishLogin completes the login with the front end's signature, brings
// the tunnel up and returns once the first handshake is done.
func (e *Engine) FinishLogin(ctx context.Context, c Caller, req *api.LoginFinishRequest) (api.Status, error) {
	e.mu.Lock()
	p, ok := e.pending[req.LoginID]
	if ok && p.owner != c.UID && !c.Admin {
		e.mu.Unlock() // another user may neither finish nor cancel it
		return api.Status{}, api.Errorf(api.CodeForbidden, "this login was started by another user")
	}
	if ok {
		delete(e.pending, req.LoginID)
	}
	e.mu.Unlock()
	if ok && e.o.Now().After(p.expires) {
		p.channel.Close()
		ok = false
	}
	if !ok {
		return api.Status{}, e.loginFailed(api.Errorf(api.CodeLoginExpired, "the login expired or is unknown; start again"))
	}
	start := e.o.Now()
	var random []byte
	if p.wantVID {
		random = req.VIDRandom
	}
	resp, err := p.channel.Login(ctx, &api.LoginRequest{VIDRandom: random,
		Challenge: p.challenge, UserID: p.userID, Password: req.Password, NewPassword: req.NewPassword,
		Certificate: req.Certificate, Signature: req.Signature, SignatureAlgorithm: req.SignatureAlgorithm,
		WGPublicKey: p.key.Public().String(), Device: e.o.Device, Posture: e.o.Posture(ctx),
	})
	p.channel.Close()
	if err != nil {
		return api.Status{}, e.loginFailed(err)
	}
	e.mu.Lock()
	e.owner = p.owner
	e.lastCert = summarize(req.Certificate, e.o.Now())
	e.updateLocked(func(st *api.Status) {
		st.State, st.DisplayName, st.Address = api.StateConnecting, resp.DisplayName, resp.Tunnel.Address
		st.PortalURL, st.Banner, st.Routes, st.DNS, st.MTU = resp.PortalURL, resp.Banner, resp.Tunnel.Routes, resp.Tunnel.DNS, resp.Tunnel.MTU
		st.SessionExpiresAt, st.Endpoint = resp.ExpiresAt, resp.Tunnel.Endpoint
	})
	e.mu.Unlock()

	_, err = e.connect(ctx, p.key, resp, p.owner)
	if err != nil {
		// The gateway has a session for us: end it rather than leak it.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		e.o.Gateway.Logout(lctx, resp.SessionToken)
		cancel()
		e.mu.Lock()
		e.owner = ""
		e.mu.Unlock()
		// Nor does the status keep the ended session's address and expiry.
		return api.Status{}, e.loginFailed(err, func(st *api.Status) { st.Address, st.SessionExpiresAt = "", time.Time{} })
	}
	e.log.Info("connected", "user", p.userID, "address", resp.Tunnel.Address, "login_to_handshake", e.o.Now().Sub(start))
	return e.Status(), nil
}

// connect brings the tunnel up and waits for the first handshake.
func (e *Engine) connect(ctx context.Context, key wgkey.Private, resp *api.LoginResponse, owner string) (*session, error) {
	cfg, ep, err := tunnelConfig(ctx, key, resp)
	if err != nil {
		return nil, err
	}
	tr := e.newTransport(resp.SessionToken)
	cfg.Bind = tr.bind
	tun, err := e.o.NewTunnel(cfg)
	if err != nil {
		return nil, err
	}
	unguard, err := e.guardUp(ctx, resp, cfg, tun, owner)
	if err != nil {
		tun.Close()
		return nil, err
	}
	sctx, cancel := context.WithCancel(context.Background())
	s := &session{resp: resp, key: key, tun: tun, endpoint: ep, cancel: cancel, kick: make(chan struct{}, 1), tr: tr}
	fail := func(err error) (*session, error) {
		cancel()
		s.wg.Wait()
		tun.Close()
		unguard()
		return nil, err
	}
	if err := e.firstHandshake(ctx, s); err != nil {
		return fail(err)
	}
	var us userspaceStatus
	if e.o.Userspace {
		if us, err = e.startUserspaceServices(sctx, s); err != nil {
			return fail(err)
		}
	}
	dnsMethod := ""
	if m, ok := tun.(interface{ DNSMethod() string }); ok {
		dnsMethod = m.DNSMethod()
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return fail(api.Errorf(api.CodeUnavailable, "svpnd is shutting down"))
	}
	e.sess = s
	now := e.o.Now()
	e.updateLocked(func(st *api.Status) {
		st.State, st.ConnectedAt, st.DNSMethod = api.StateConnected, now, dnsMethod
		st.ProxyAddr, st.ProxyURL, st.SOCKSURL, st.PortalLocalURL = us.proxyAddr, us.proxyURL, us.socksURL, us.portalURL
		st.LastErrorCode, st.LastError = "", ""
		st.Transport, st.TransportReason = tr.current(), tr.reason
	})
	e.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		e.manageTransport(sctx, s)
	}()
	// The keeper is owned by the engine, not the session: it may end the
	// session itself (the gateway said so), and Close waits for it.
	e.keepers.Add(1)
	go func() {
		defer e.keepers.Done()
		if end := e.keepSession(sctx, s); end != nil {
			e.teardown(s, api.StateDisconnected, api.CodeSessionEnded, end.msg, end.reason)
		}
	}()
	return s, nil
}

// tunnelConfig turns the gateway's answer into a tunnel configuration,
// resolving the endpoint.
func tunnelConfig(ctx context.Context, key wgkey.Private, resp *api.LoginResponse) (tunnel.Config, netip.AddrPort, error) {
	t := resp.Tunnel
	bad := func(format string, args ...any) (tunnel.Config, netip.AddrPort, error) {
		return tunnel.Config{}, netip.AddrPort{}, api.Errorf(gatewayapi.CodeBadResponse, "gateway tunnel settings: "+format, args...)
	}
	addr, err := netip.ParsePrefix(t.Address)
	if err != nil {
		return bad("address %q", t.Address)
	}
	srv, err := wgkey.ParsePublic(t.ServerPublicKey)
	if err != nil {
		return bad("server key")
	}
	ep, err := resolveEndpoint(ctx, t.Endpoint)
	if err != nil {
		return tunnel.Config{}, netip.AddrPort{}, err
	}
	cfg := tunnel.Config{PrivateKey: key, Address: addr, ServerPublicKey: srv, Endpoint: ep,
		Keepalive: time.Duration(t.Keepalive) * time.Second, SearchDomains: t.SearchDomains, MTU: t.MTU}
	for _, r := range t.Routes {
		p, err := netip.ParsePrefix(r)
		if err != nil {
			return bad("route %q", r)
		}
		cfg.Routes = append(cfg.Routes, p)
	}
	for _, d := range t.DNS {
		a, err := netip.ParseAddr(d)
		if err != nil {
			return bad("DNS server %q", d)
		}
		cfg.DNS = append(cfg.DNS, a)
	}
	return cfg, ep, nil
}

func resolveEndpoint(ctx context.Context, hostport string) (netip.AddrPort, error) {
	if ap, err := netip.ParseAddrPort(hostport); err == nil {
		return ap, nil
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return netip.AddrPort{}, api.Errorf(gatewayapi.CodeBadResponse, "endpoint %q: %w", hostport, err)
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(rctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return netip.AddrPort{}, api.Errorf(gatewayapi.CodeUnreachable, "resolving the gateway endpoint %s: %w", host, err)
	}
	p, err := net.LookupPort("udp", port)
	if err != nil {
		return netip.AddrPort{}, api.Errorf(gatewayapi.CodeBadResponse, "endpoint port %q", port)
	}
	return netip.AddrPortFrom(addrs[0].Unmap(), uint16(p)), nil
}

// waitHandshake waits, bounded, for the first WireGuard handshake.
func waitHandshake(ctx context.Context, tun tunnel.Tunnel, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		if s, err := tun.Stats(); err == nil && !s.LastHandshake.IsZero() {
			return nil
		}
		select {
		case <-ctx.Done():
			return api.Errorf(api.CodeTunnelHandshake, "no WireGuard handshake with the gateway within %s: UDP may be blocked", timeout)
		case <-t.C:
		}
	}
}

// userspaceStatus is where the userspace services listen, with the
// session's credentials in the URLs.
type userspaceStatus struct {
	proxyAddr, proxyURL, socksURL, portalURL string
}

// startUserspaceServices serves the proxy and the portal forward into a
// userspace tunnel, each behind fresh per-session credentials; both stop
// when the session's context ends.
func (e *Engine) startUserspaceServices(ctx context.Context, s *session) (userspaceStatus, error) {
	var us userspaceStatus
	d, ok := s.tun.(Dialer)
	if !ok {
		return us, errors.New("engine: userspace mode needs a tunnel that dials")
	}
	s.creds, s.token = proxy.NewCredentials(), proxy.NewToken()
	if e.o.ProxyAddr != "" {
		ln, err := net.Listen("tcp", e.o.ProxyAddr)
		if err != nil {
			return us, api.Errorf(api.CodeTunnelProxy, "proxy %s: %w", e.o.ProxyAddr, err)
		}
		us.proxyAddr = ln.Addr().String()
		user := url.UserPassword(s.creds.Username, s.creds.Password)
		us.proxyURL = (&url.URL{Scheme: "http", User: user, Host: us.proxyAddr}).String()
		us.socksURL = (&url.URL{Scheme: "socks5", User: user, Host: us.proxyAddr}).String()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			proxy.Serve(ctx, ln, d.DialContext, e.log, s.creds)
		}()
	}
	if target, path, ok := portalTarget(s.resp.PortalURL); ok {
		ln, err := net.Listen("tcp", e.o.PortalForwardAddr)
		if err != nil {
			return us, api.Errorf(api.CodeTunnelProxy, "portal forward %s: %w", e.o.PortalForwardAddr, err)
		}
		us.portalURL = proxy.PortalURL(ln.Addr().String(), path, s.token)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			proxy.ServePortal(ctx, ln, d.DialContext, target, s.token, e.log)
		}()
	}
	return us, nil
}

// Logout ends the session at the gateway and tears the tunnel down.
func (e *Engine) Logout(ctx context.Context, c Caller) (api.Status, error) {
	e.mu.Lock()
	if !e.mayControlLocked(c) {
		e.mu.Unlock()
		return api.Status{}, api.Errorf(api.CodeForbidden, "the session belongs to another user")
	}
	s := e.sess
	e.mu.Unlock()
	if s == nil {
		// A kill switch that outlived its session goes at this logout.
		if err := e.releaseKillSwitch(c); err != nil {
			return api.Status{}, err
		}
		return e.Status(), nil
	}
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	err := e.o.Gateway.Logout(lctx, s.resp.SessionToken)
	cancel()
	if err != nil {
		e.log.Warn("gateway logout failed; tearing down anyway", "err", err)
	}
	e.teardown(s, api.StateDisconnected, "", "", api.EndLogout)
	return e.Status(), nil
}

// teardown stops a session's services (proxy, portal forward) and closes
// its tunnel, once; the heartbeat goroutine stops with the session's context.
func (e *Engine) teardown(s *session, state api.State, code api.Code, msg string, reason api.EndReason) {
	e.mu.Lock()
	if e.sess != s {
		e.mu.Unlock()
		return
	}
	e.sess = nil
	e.owner = ""
	e.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	if err := s.tun.Close(); err != nil {
		e.log.Error("closing the tunnel", "err", err)
	}
	// A kill switch stays until the user logs out (or the gateway's
	// reason is a logout of this session).
	e.guardDown(reason == api.EndLogout)
	e.mu.Lock()
	e.updateLocked(func(st *api.Status) {
		st.State, st.LastErrorCode, st.LastError, st.EndReason = state, code, msg, reason
		st.Address, st.ProxyAddr, st.PortalLocalURL, st.ConnectedAt, st.SessionExpiresAt, st.DNSMethod = "", "", "", time.Time{}, time.Time{}, ""
		st.ProxyURL, st.SOCKSURL = "", ""
		st.Transport, st.TransportReason = "", ""
	})
	e.mu.Unlock()
}

// Close logs out (best effort) and stops everything.
func (e *Engine) Close() error {
	e.mu.Lock()
	e.closed = true
	if e.exemptTimer != nil {
		e.exemptTimer.Stop()
	}
	s := e.sess
	pending := e.pending
	e.pending = map[string]*pendingLogin{}
	e.mu.Unlock()
	for _, p := range pending {
		p.channel.Close()
	}
	e.stopMobile()
	if s != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		e.o.Gateway.Logout(ctx, s.resp.SessionToken)
		cancel()
		e.teardown(s, api.StateDisconnected, "", "", api.EndLogout)
	}
	e.keepers.Wait()
	return nil
}

// Diagnostics returns the helpdesk snapshot.
func (e *Engine) Diagnostics(ctx context.Context) api.Diagnostics {
	st := e.Status()
	e.mu.Lock()
	errs := append([]api.ErrorEvent(nil), e.errors...)
	notes := append([]string(nil), e.notes...)
	cert := e.lastCert
	for _, ev := range e.unreported {
		notes = append(notes, "not yet in the gateway's audit log: "+ev.String())
	}
	e.mu.Unlock()
	if e.o.Userspace {
		notes = append(notes, "userspace mode: the tunnel is reachable through the proxy "+st.ProxyAddr)
	}
	// The proxy's credentials and the portal token are the session
	// owner's; the helpdesk sees where, not how to get in.
	st.ProxyURL, st.SOCKSURL = "", ""
	st.PortalLocalURL = withoutToken(st.PortalLocalURL)
	return api.Diagnostics{
		GeneratedAt: e.o.Now(), Status: st, Profile: *e.o.Profile,
		Versions: map[string]string{"svpnd": e.o.Version, "go": runtime.Version(), "os": runtime.GOOS + "/" + runtime.GOARCH},
		Device:   e.o.Device, Posture: e.o.Posture(ctx), Errors: errs, Notes: notes, Certificate: cert,
	}
}

// AddNote records a fact the helpdesk should see (e.g. a DNS fallback).
func (e *Engine) AddNote(note string) {
	e.mu.Lock()
	e.notes = append(e.notes, note)
	e.mu.Unlock()
}

// ChangePassword changes the account password through the gateway.
func (e *Engine) ChangePassword(ctx context.Context, req *api.LocalPasswordRequest) error {
	e.mu.Lock()
	sess := e.sess
	e.mu.Unlock()
	if sess == nil {
		return api.Errorf(api.CodeNotConnected, "log in first: the password is changed inside a session (or with a new password at login)")
	}
	err := e.o.Gateway.ChangePassword(ctx, sess.resp.SessionToken, &api.PasswordChangeRequest{UserID: req.UserID, OldPassword: req.OldPassword, NewPassword: req.NewPassword})
	if err != nil {
		e.mu.Lock()
		e.recordErrorLocked(err)
		e.mu.Unlock()
	}
	return err
}

// Secrets returns the live secrets the engine holds (session token,
// WireGuard private key in both encodings), for redaction of support
// bundles. They never appear in Status or Diagnostics.
func (e *Engine) Secrets() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	if e.sess != nil {
		out = append(out, e.sess.resp.SessionToken, e.sess.key.Base64Secret(), e.sess.key.UAPIHex())
		if e.sess.token != "" {
			out = append(out, e.sess.creds.Password, e.sess.token)
		}
	}
	for _, p := range e.pending {
		out = append(out, p.key.Base64Secret(), p.key.UAPIHex(), p.challenge)
	}
	return append(out, e.mobileSecretsLocked()...)
}

// NetworkChanged tells the engine the machine's network changed: the
// session is checked at once (and the state shows reconnecting if the
// gateway is now out of reach) instead of at the next heartbeat. WireGuard
// itself roams to the new address.
func (e *Engine) NetworkChanged() {
	e.mu.Lock()
	s := e.sess
	e.mu.Unlock()
	if s == nil {
		return
	}
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// summarize describes the login certificate for the helpdesk.
func summarize(der []byte, now time.Time) *api.CertificateSummary {
	x, err := x509.ParseCertificate(der)
	if err != nil {
		return nil
	}
	in := (&certstore.Certificate{X509: x}).Info(now)
	return &api.CertificateSummary{Name: in.Name, Subject: in.Subject, Issuer: in.Issuer, Serial: in.Serial,
		NotAfter: in.NotAfter, PolicyOID: in.PolicyOID, Purpose: string(in.Purpose), UsedAt: now}
}
