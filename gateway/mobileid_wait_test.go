package gateway

import (
	"context"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
)

type mobileResult struct {
	r   *api.MobileResultResponse
	err error
}

// resultAsync runs p's result request in the background.
func (p *pc) resultAsync() <-chan mobileResult {
	done := make(chan mobileResult, 1)
	go func() {
		r, err := p.result()
		done <- mobileResult{r, err}
	}()
	return done
}

func within(t *testing.T, d time.Duration, done <-chan mobileResult) mobileResult {
	t.Helper()
	select {
	case r := <-done:
		return r
	case <-time.After(d):
		t.Fatalf("no result within %v", d)
		return mobileResult{}
	}
}

// TestMobileOwnAnswerWakes: an answer recorded on the node where svpnd's
// result request waits wakes it at once, without waiting for a poll.
func TestMobileOwnAnswerWakes(t *testing.T) {
	k := newMobileKit(t)
	k.addAccount("kim01")
	h := k.issue("kim01", k.issuer, nil)
	k.srv.mobile.wait, k.srv.mobile.poll = 10*time.Second, time.Hour
	p := k.startPC("")
	req := k.scan(p.start.QR)
	done := p.resultAsync()
	time.Sleep(100 * time.Millisecond) // the request waits
	if err := k.phone.Approve(context.Background(), req, h.key, h.credential); err != nil {
		t.Fatal(err)
	}
	if r := within(t, 2*time.Second, done); r.err != nil || r.r.Status != api.MobileApproved {
		t.Fatalf("result: %+v %v", r.r, r.err)
	}
	k.srv.mobile.mu.Lock()
	defer k.srv.mobile.mu.Unlock()
	if len(k.srv.mobile.watches) != 0 || k.srv.mobile.pollStop != nil {
		t.Fatalf("watches left: %v, poller running: %v", k.srv.mobile.watches, k.srv.mobile.pollStop != nil)
	}
}

// TestMobilePrunedWhileWaiting: a transaction that expires while svpnd's
// result request waits, and that another start prunes (auditing the
// expiry), is reported to svpnd as expired.
func TestMobilePrunedWhileWaiting(t *testing.T) {
	k := newMobileKit(t)
	k.srv.mobile.wait, k.srv.mobile.poll = 10*time.Second, 20*time.Millisecond
	p := k.startPC("kim01")
	done := p.resultAsync()
	time.Sleep(100 * time.Millisecond) // the request waits
	k.clock.Advance(api.MobileTTL + time.Second)
	k.startPC("") // prunes p's transaction
	k.audited("kim01", "mobileid_refused", api.CodeMobileExpired)
	if r := within(t, 2*time.Second, done); api.CodeOf(r.err) != api.CodeMobileExpired {
		t.Fatalf("result: %+v %v", r.r, r.err)
	}
}
