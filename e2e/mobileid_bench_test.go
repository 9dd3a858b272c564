package e2e

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/engine"
	"github.com/opensvpn/svpn/mobileid"
	"github.com/opensvpn/svpn/mobileid/phone"
	"github.com/opensvpn/svpn/mobileid/wallet"
)

// BenchmarkMobileApprovalToConnected measures, on loopback, the time from
// the phone posting its approval (M400: the holder's presentation) to
// svpnd reporting connected: the gateway's checks (holder signature,
// issuer, validity, revocation, account), svpnd collecting the verdict on
// its waiting request, session and peer, tunnel up, WireGuard handshake.
// Scanning and the PIN are the user's time and not measured. Reports the
// median.
func BenchmarkMobileApprovalToConnected(b *testing.B) {
	d, eng, pool := benchEngine(b)
	ctx := context.Background()
	w, err := wallet.Open(d.WalletPath)
	if err != nil {
		b.Fatal(err)
	}
	key, err := w.Unlock(d.WalletPIN)
	if err != nil {
		b.Fatal(err)
	}
	ph := phone.New(pool)
	me := engine.Caller{UID: "bench"}
	var lat []time.Duration
	for b.Loop() {
		b.StopTimer()
		begin, err := eng.BeginMobileLogin(ctx, me, d.UserID)
		if err != nil {
			b.Fatal(err)
		}
		qr, err := mobileid.ParseRequest(begin.QR)
		if err != nil {
			b.Fatal(err)
		}
		req, err := ph.Fetch(ctx, qr)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		t0 := time.Now()
		if err := ph.Approve(ctx, req, key, w.Credential); err != nil {
			b.Fatal(err)
		}
		st, err := eng.WaitMobileLogin(ctx, me, begin.LoginID)
		if err != nil || st.State != api.StateConnected {
			b.Fatalf("login %d: %+v %v", len(lat), st, err)
		}
		lat = append(lat, time.Since(t0))
		b.StopTimer()
		if _, err := eng.Logout(ctx, me); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "median-ms")
}
