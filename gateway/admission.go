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
// clients time out. What limits logins is argon2id: GOMAXPROCS checks at a
// time (see hasher), each taking about avg. Past the budget a client is
// answered rate_limited (HTTP 503, Retry-After) at once, and comes back
// later, instead of waiting in a queue it would leave by timeout.
//
// Two gates: challenges, which every login starts with and which come
// before the user's certificate key signs anything, pass a token bucket
// filled at the node's measured rate and holding what it can serve within
// the budget; logins (which may come without a fresh challenge, or all
// at once) are refused when those already in progress would not be through
// within the budget.
type admission struct {
	slots  int
	budget time.Duration

	mu       sync.Mutex
	avg      time.Duration // EWMA of one password check
	inflight int           // logins admitted and not yet answered
	bucket   *rate.Limiter
}

func newAdmission(slots int, budget time.Duration, avg time.Duration) *admission {
	a := &admission{slots: slots, budget: budget, avg: max(avg, time.Millisecond)}
	a.bucket = rate.NewLimiter(a.rateLocked(), a.burstLocked())
	return a
}

// rateLocked is the node's login rate: slots checks per avg.
func (a *admission) rateLocked() rate.Limit {
	return rate.Limit(float64(a.slots) / a.avg.Seconds())
}

// burstLocked is how many logins the node serves within the budget.
func (a *admission) burstLocked() int {
	return max(1, int(float64(a.slots)*a.budget.Seconds()/a.avg.Seconds()))
}

// observe records how long one password check took.
func (a *admission) observe(d time.Duration, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.avg = max(time.Millisecond, (a.avg*4+d)/5)
	a.bucket.SetLimitAt(now, a.rateLocked())
	a.bucket.SetBurstAt(now, a.burstLocked())
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
		return seconds(d), false
	}
	return 0, true
}

// login admits a login, returning done to call when it is answered, or
// says in how many seconds to try again.
func (a *admission) login() (done func(), retryAfter int, ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	wait := time.Duration(float64(a.inflight+1) / float64(a.slots) * float64(a.avg))
	if wait > a.budget {
		return nil, seconds(wait - a.budget), false
	}
	a.inflight++
	var once sync.Once
	return func() {
		once.Do(func() {
			a.mu.Lock()
			a.inflight--
			a.mu.Unlock()
		})
	}, 0, true
}

// seconds is a Retry-After: whole seconds, at least 1.
func seconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// admitChallenge refuses challenges beyond what the node can serve, and
// every challenge while it drains.
func (s *Server) admitChallenge(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.draining.Load() {
			s.writeError(w, r, drainingRefusal())
			return
		}
		if retry, ok := s.admit.challenge(time.Now()); !ok {
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
