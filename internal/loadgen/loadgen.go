// Package loadgen drives real logins against gateway nodes, as many svpnd
// would: a login channel (TLS connection) each, a challenge, the RSA
// signature over the channel-bound message, the login with the password
// (argon2id at the gateway). A node that answers rate_limited or
// node_draining is retried after its Retry-After with jitter, the way svpnd
// does. It is bounded in count (the users given) and in time.
package loadgen

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	mrand "math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/gatewayapi"
	"github.com/opensvpn/svpn/wgkey"
)

// User is an account with its certificate and the certificate's key.
type User struct {
	ID       string
	Password string
	Cert     *x509.Certificate
	Key      crypto.Signer // RSA (rsa-pkcs1-sha256, as Korean certificates) or ECDSA (ecdsa-sha256)
}

// Options say what to run.
type Options struct {
	URLs      []string // gateway nodes; user i starts at URLs[i % len]
	GatewayID string
	RootCAs   *x509.CertPool
	Users     []User // one login each
	// Concurrency bounds the logins in flight (default 64).
	Concurrency int
	// Rate is the arrival rate in logins per second; 0 starts them as fast
	// as Concurrency allows.
	Rate float64
	// Timeout bounds each call, as svpnd's (default 15 s).
	Timeout time.Duration
	// MaxDuration bounds the whole run (default 10 min); logins not done
	// by then count as failed by timeout.
	MaxDuration time.Duration
	// MaxRetries bounds the retries of one login (default 30).
	MaxRetries int
	// Logout ends each session after its login.
	Logout bool
	// Sources spreads the logins over this many loopback source addresses
	// (127.0.0.2, 127.0.0.3, …; at most 250), as many client machines would
	// be: a gateway limits the login attempts of one address. 0 leaves the
	// source to the system. Only for gateways on loopback.
	Sources int
	// OnRetry, when set, hears every refusal that is retried and the wait.
	OnRetry func(user string, err error, wait time.Duration)
	// Dial, when set, replaces the dialer (loopback or a test namespace).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Result is what a run measured; its JSON is svpn-loadtest's output.
type Result struct {
	Attempted          int            `json:"attempted"`
	OK                 int            `json:"ok"`
	FailedTimeout      int            `json:"failed_timeout"`
	FailedOther        int            `json:"failed_other"`
	Retried            int            `json:"retried"` // retries after rate_limited or node_draining, all logins together
	P50ms              float64        `json:"p50_ms"`  // from a login's first try to its success
	P99ms              float64        `json:"p99_ms"`
	LoginsPerS         float64        `json:"logins_per_s"`
	DuplicateAddresses int            `json:"duplicate_addresses"` // tunnel addresses handed to two live sessions
	DuplicateKeys      int            `json:"duplicate_keys"`      // session IDs or tokens handed out twice
	ElapsedS           float64        `json:"elapsed_s"`           // until the last login was in
	Errors             map[string]int `json:"errors,omitempty"`    // failures by code
	// Addresses are the tunnel addresses handed out, by user (not in the
	// JSON).
	Addresses map[string]netip.Addr `json:"-"`
	// Tokens are the session tokens, by user (not in the JSON).
	Tokens map[string]string `json:"-"`
}

// Run drives the logins and returns what it measured.
func Run(ctx context.Context, o Options) (*Result, error) {
	if len(o.URLs) == 0 || len(o.Users) == 0 {
		return nil, errors.New("loadgen: no gateway URL or no user")
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 64
	}
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Second
	}
	if o.MaxDuration <= 0 {
		o.MaxDuration = 10 * time.Minute
	}
	if o.MaxRetries <= 0 {
		o.MaxRetries = 30
	}
	sources := min(max(o.Sources, 1), 250)
	// clients[s][n] talks to node n from source s.
	clients := make([][]*gatewayapi.Client, sources)
	for src := range clients {
		dial := o.Dial
		if o.Sources > 0 {
			d := &net.Dialer{Timeout: o.Timeout, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+src))}}
			dial = d.DialContext
		}
		for _, u := range o.URLs {
			c, err := gatewayapi.New(u, gatewayapi.Options{RootCAs: o.RootCAs, Timeout: o.Timeout, DialContext: dial})
			if err != nil {
				return nil, err
			}
			clients[src] = append(clients[src], c)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, o.MaxDuration)
	defer cancel()

	type outcome struct {
		user    string
		resp    *api.LoginResponse
		err     error
		took    time.Duration
		retries int
		doneAt  time.Time
	}
	outs := make([]outcome, len(o.Users))
	sem := make(chan struct{}, o.Concurrency)
	var wg sync.WaitGroup
	start := time.Now()
	for i, u := range o.Users {
		if o.Rate > 0 {
			at := start.Add(time.Duration(float64(i) / o.Rate * float64(time.Second)))
			if !sleepUntil(ctx, at) {
				outs[i] = outcome{user: u.ID, err: ctx.Err()}
				continue
			}
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			outs[i] = outcome{user: u.ID, err: ctx.Err()}
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			t0 := time.Now()
			cs := clients[i%len(clients)]
			resp, retries, err := loginWithRetry(ctx, cs, i, o, u)
			outs[i] = outcome{user: u.ID, resp: resp, err: err, took: time.Since(t0), retries: retries, doneAt: time.Now()}
			if err == nil && o.Logout {
				lctx, cancel := context.WithTimeout(ctx, o.Timeout)
				cs[i%len(cs)].Logout(lctx, resp.SessionToken)
				cancel()
			}
		})
	}
	wg.Wait()

	r := &Result{Attempted: len(o.Users), Errors: map[string]int{}, Addresses: map[string]netip.Addr{}, Tokens: map[string]string{}}
	var lat []time.Duration
	var last time.Time
	addrs, sessions := map[netip.Addr]bool{}, map[string]bool{}
	for _, x := range outs {
		r.Retried += x.retries
		switch {
		case x.err == nil:
			r.OK++
			lat = append(lat, x.took)
			if x.doneAt.After(last) {
				last = x.doneAt
			}
			p, err := netip.ParsePrefix(x.resp.Tunnel.Address)
			if err == nil {
				if addrs[p.Addr()] && !o.Logout {
					r.DuplicateAddresses++
				}
				addrs[p.Addr()] = true
				r.Addresses[x.user] = p.Addr()
			}
			if sessions[x.resp.SessionID] || sessions[x.resp.SessionToken] {
				r.DuplicateKeys++
			}
			sessions[x.resp.SessionID], sessions[x.resp.SessionToken] = true, true
			r.Tokens[x.user] = x.resp.SessionToken
		case isTimeout(x.err):
			r.FailedTimeout++
			r.Errors["timeout"]++
		default:
			r.FailedOther++
			r.Errors[string(api.CodeOf(x.err))]++
		}
	}
	if len(r.Errors) == 0 {
		r.Errors = nil
	}
	if r.OK > 0 {
		slices.Sort(lat)
		r.P50ms = ms(percentile(lat, 0.50))
		r.P99ms = ms(percentile(lat, 0.99))
		el := last.Sub(start)
		r.ElapsedS = el.Seconds()
		r.LoginsPerS = float64(r.OK) / el.Seconds()
	}
	return r, nil
}

// loginWithRetry logs u in, moving to the next node on node_draining or
// when a node cannot be reached, and waiting out rate_limited.
func loginWithRetry(ctx context.Context, clients []*gatewayapi.Client, i int, o Options, u User) (*api.LoginResponse, int, error) {
	node := i % len(clients)
	for retries := 0; ; retries++ {
		resp, err := login(ctx, clients[node], o, u)
		if err == nil {
			return resp, retries, nil
		}
		code := api.CodeOf(err)
		var wait time.Duration
		switch {
		case code == api.CodeRateLimited || code == api.CodeNodeDraining:
			wait = time.Second
			if ref, ok := api.RefusalOf(err); ok && ref.RetryAfter > 0 {
				wait = time.Duration(ref.RetryAfter) * time.Second
			}
			if code == api.CodeNodeDraining {
				node = (node + 1) % len(clients)
				wait = 0
			}
		case code == gatewayapi.CodeUnreachable && len(clients) > 1 && !isTimeout(err):
			node = (node + 1) % len(clients) // a node that is down
			wait = 200 * time.Millisecond
		default:
			return nil, retries, err
		}
		if retries >= o.MaxRetries {
			return nil, retries, err
		}
		wait = Jitter(wait)
		if o.OnRetry != nil {
			o.OnRetry(u.ID, err, wait)
		}
		if !sleepUntil(ctx, time.Now().Add(wait)) {
			return nil, retries, ctx.Err()
		}
	}
}

// Jitter spreads a retry over [d/2, 3d/2), so clients told to come back in
// d do not all come back at once.
func Jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return d/2 + time.Duration(mrand.Int64N(int64(d)))
}

func login(ctx context.Context, c *gatewayapi.Client, o Options, u User) (*api.LoginResponse, error) {
	lc, err := c.OpenLogin(ctx)
	if err != nil {
		return nil, err
	}
	defer lc.Close()
	priv, err := wgkey.NewPrivate()
	if err != nil {
		return nil, err
	}
	pub := priv.Public().String()
	ch, err := lc.Challenge(ctx, u.ID, pub)
	if err != nil {
		return nil, err
	}
	msg, err := api.LoginBinding{GatewayID: o.GatewayID, UserID: u.ID, WGPublicKey: pub, Challenge: ch.Challenge,
		ChannelBinding: lc.ChannelBinding()}.Message()
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256(msg)
	alg := api.SigRSAPKCS1SHA256
	if _, ok := u.Key.Public().(*ecdsa.PublicKey); ok {
		alg = api.SigECDSASHA256
	}
	sig, err := u.Key.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		return nil, err
	}
	return lc.Login(ctx, &api.LoginRequest{Challenge: ch.Challenge, UserID: u.ID, Password: u.Password,
		Certificate: u.Cert.Raw, Signature: sig, SignatureAlgorithm: alg, WGPublicKey: pub,
		Device:  api.Device{OS: "linux", ClientVersion: "svpn-loadtest"},
		Posture: api.Posture{Antivirus: []api.Antivirus{{Name: "loadtest", Enabled: true, UpToDate: true}}}})
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(float64(len(sorted)-1) * p)
	return sorted[i]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
