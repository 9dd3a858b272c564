package gateway

import (
	"context"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/mobileid"
)

// TestMobileCancelledByPC: when svpnd's connection goes away during a
// result request, nobody can collect the transaction any more, so no phone
// may answer it: it is spent and audited as cancelled.
func TestMobileCancelledByPC(t *testing.T) {
	k := newMobileKit(t)
	k.srv.mobile.wait = 10 * time.Second
	p := k.startPC("")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := p.lc.MobileResult(ctx, &api.MobileResultRequest{Transaction: p.start.Transaction, WGPublicKey: p.key.Public().String()})
		done <- err
	}()
	time.Sleep(100 * time.Millisecond) // the request is on the gateway
	cancel()
	<-done
	p.lc.Close()
	qr, _ := mobileid.ParseRequest(p.start.QR)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, err := k.phone.Fetch(context.Background(), qr)
		if api.CodeOf(err) == api.CodeMobileUnknownTransaction {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the phone scanning a cancelled QR: %v", err)
		}
	}
	k.audited("", "mobileid_refused", api.CodeMobileCancelled)
}
