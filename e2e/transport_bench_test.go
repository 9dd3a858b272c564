package e2e

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/engine"
)

// BenchmarkUDPBlockedFirstPacket measures, on loopback with the gateway's
// UDP endpoint blackholed, the time from the login request to the first
// portal page through the tunnel, for a profile with transport auto: the
// login (production argon2id), the wait for a UDP handshake that never
// comes (UDPWait, 2.5 s), the stream, the handshake over it, the page.
// Reports the median; the goal is 3.5 s.
func BenchmarkUDPBlockedFirstPacket(b *testing.B) {
	h := newTransportHarnessArgon(b, api.TransportAuto, engine.Options{}, true)
	ctx := context.Background()
	var lat []time.Duration
	for b.Loop() {
		t0 := time.Now()
		st, err := h.login(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if st.Transport != api.TransportTCP {
			b.Fatalf("transport %q with UDP blackholed", st.Transport)
		}
		if err := h.portal(); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
		b.StopTimer()
		if _, err := h.eng.Logout(ctx, h.me); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "median-ms")
}
