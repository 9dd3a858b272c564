package gateway

import (
	"context"
	"runtime"
	"sync/atomic"

	"github.com/opensvpn/svpn/gateway/password"
)

// hasher runs argon2id at most once per CPU at a time. Each hash holds
// 19 MiB and saturates a core: letting 100 logins hash at once would use
// 1.9 GB and make every one of them slow, while queueing them keeps memory
// bounded and serves them in arrival order at the same total rate.
type hasher struct {
	slots chan struct{}
	// verified counts password verifications: the adversarial tests and
	// the svpn_gateway_password_verifications_total metric read it.
	verified atomic.Int64
}

func newHasher() *hasher {
	return &hasher{slots: make(chan struct{}, runtime.GOMAXPROCS(0))}
}

func (h *hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *hasher) release() { <-h.slots }

// verify is password.Verify under the limit.
func (h *hasher) verify(ctx context.Context, encoded, pw string) (bool, error) {
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	h.verified.Add(1)
	return password.Verify(encoded, pw)
}

// hash is password.Hash under the limit.
func (h *hasher) hash(ctx context.Context, pw string, p password.Params) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	return password.Hash(pw, p)
}
