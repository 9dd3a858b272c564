package gateway

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/opensvpn/svpn/api"
)

// DefaultLoginQueueBudget is how long a login may wait for its password
// check: the client gives each call 15 s, and the challenge, the TLS
// handshake and the rest of the login need some of it.
const DefaultLoginQueueBudget = 8 * time.Second

// admission keeps a node's login queue within what it can serve before the
// clients time out. Past the budget a client is answered rate_limited
// (HTTP 503, Retry-After) at once, and comes back later, instead of waiting
// in a queue it would leave by timeout.
//
// The node's rate is measured, not configured: the interval between two
// logins answered while others wait (Little's law), first estimated from
// one argon2id check with the configured parameters per CPU (what limits
// logins: see hasher). Two gates use it: challenges, which every login
// starts with and which come before the user's certificate key signs
// anything, pass a token bucket filled at that rate and holding what the
// node serves within the budget; logins (which may all arrive at once) are
// refused when those already in progress would not be through within the
// budget.
type admission struct {
	budget time.Duration
	// slowStart bounds the challenge bucket until the node's rate has been
	// measured (samples): the first estimate, from an idle CPU and the
	// password check alone, may be far too kind. (Logins are not bounded
	// so: one that passed its challenge is served if it can be.)
	slowStart int
	samples   int
	// now is the clock challenges are measured against (time.Now; a test
	// stops it so that the bucket's refill does not depend on its speed).
	now func() time.Time

	mu       sync.Mutex
	interval time.Duration // EWMA of the time between two answered logins under load
	inflight int           // logins admitted and not yet answered
	lastDone time.Time
	bucket   *rate.Limiter
	promised time.Time // when the last client refused a challenge was told to come back
}

// maxRetryAfter caps what a client is told to wait: it comes back, with
// jitter, and is told again if the node is still full.
const maxRetryAfter = 30

// minInterval is the shortest time per login assumed: a login is more than
// its password check (TLS, a signature, a dozen statements), and a start
// with a cheap argon2id setting must not admit thousands at once.
const minInterval = time.Millisecond

// measured is how many answered logins under load make the rate known.
const measured = 16

func newAdmission(interval, budget time.Duration, slowStart int) *admission {
	a := &admission{budget: budget, interval: max(interval, minInterval), slowStart: max(1, slowStart), now: time.Now}
	a.bucket = rate.NewLimiter(a.rateLocked(), a.burstLocked())
	return a
}

// rateLocked is the node's login rate.
func (a *admission) rateLocked() rate.Limit { return rate.Every(a.interval) }

// burstLocked is how many logins the node serves within the budget.
func (a *admission) burstLocked() int {
	n := max(1, int(a.budget/a.interval))
	if a.samples < measured {
		n = min(n, a.slowStart)
	}
	return n
}

// challenge takes a place for a login about to start, or says in how many
// seconds to ask again.
func (a *admission) challenge(now time.Time) (retryAfter int, ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.bucket.ReserveN(now, 1)
	d := r.DelayFrom(now)
	if !r.OK() || d > 0 {
		r.CancelAt(now)
		// Each client refused is given a later time than the one before,
		// one service interval apart: they come back spread out at the
		// rate the node serves, not all at once to be refused again.
		if a.promised.Before(now.Add(d)) {
			a.promised = now.Add(d)
		}
		a.promised = a.promised.Add(a.interval)
		return seconds(a.promised.Sub(now)), false
	}
	return 0, true
}

// login admits a login, returning done to call when it is answered, or
// says in how many seconds to try again.
func (a *admission) login() (done func(), retryAfter int, ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	wait := time.Duration(a.inflight+1) * a.interval
	if wait > a.budget {
		return nil, seconds(wait - a.budget), false
	}
	a.inflight++
	var once sync.Once
	return func() { once.Do(a.done) }, 0, true
}

// done records an answered login and, if others were waiting, the
// interval since the previous one.
func (a *admission) done() {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	busy := a.inflight > 1 && !a.lastDone.IsZero()
	a.inflight--
	if busy {
		a.samples++
		a.interval = max(minInterval, (a.interval*3+now.Sub(a.lastDone))/4)
		a.bucket.SetLimitAt(now, a.rateLocked())
		a.bucket.SetBurstAt(now, a.burstLocked())
	}
	a.lastDone = now
}

// seconds is a Retry-After: whole seconds, at least 1.
func seconds(d time.Duration) int {
	return min(maxRetryAfter, max(1, int(math.Ceil(d.Seconds()))))
}

// admitChallenge refuses challenges beyond what the node can serve, and
// every challenge while it drains.
func (s *Server) admitChallenge(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.draining.Load() {
			s.writeError(w, r, drainingRefusal())
			return
		}
		if retry, ok := s.admit.challenge(s.admit.now()); !ok {
			s.metrics.login(api.CodeRateLimited)
			writeBusy(w, retry)
			return
		}
		next(w, r)
	}
}

// admitLogin refuses a login that could not be served within the budget.
func (s *Server) admitLogin(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.draining.Load() {
			s.metrics.login(api.CodeNodeDraining)
			s.writeError(w, r, drainingRefusal())
			return
		}
		done, retry, ok := s.admit.login()
		if !ok {
			s.metrics.login(api.CodeRateLimited)
			writeBusy(w, retry)
			return
		}
		defer done()
		next(w, r)
	}
}

func drainingRefusal() *refusal {
	r := refuse(api.CodeNodeDraining, "this node is being taken out of service; use another node of the gateway")
	r.resp.RetryAfter = 1
	return r
}

// writeBusy answers rate_limited with 503 and Retry-After: the node is
// overloaded, not the client misbehaving (429).
func writeBusy(w http.ResponseWriter, retryAfter int) {
	w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	writeJSON(w, http.StatusServiceUnavailable, api.ErrorResponse{Code: api.CodeRateLimited,
		Message: "the gateway is busy; try again in " + strconv.Itoa(retryAfter) + " s", RetryAfter: retryAfter})
}
