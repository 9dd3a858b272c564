package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/engine"
)

// TestTransportTCP: a profile with transport tcp logs in and reaches the
// portal while UDP to the gateway is dropped, and every packet crossed the
// gateway's HTTPS port.
func TestTransportTCP(t *testing.T) {
	h := newTransportHarness(t, api.TransportTCP, engine.Options{})
	t0 := time.Now()
	st, err := h.login(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("login over tcp: %v", time.Since(t0))
	if st.Transport != api.TransportTCP || st.TransportReason != api.ReasonProfile {
		t.Fatalf("status: transport %q (%q)", st.Transport, st.TransportReason)
	}
	if err := h.portal(); err != nil {
		t.Fatalf("portal over tcp: %v", err)
	}
	ts := h.g.Device.Streams().Stats()
	if ts.TCP.RxPackets == 0 || ts.Streams != 1 || ts.UDP.RxPackets != 0 {
		t.Fatalf("gateway transport counters: %+v", ts)
	}
}

// TestTransportAutoFallsBackAndReturns: in auto, with UDP blackholed, the
// login connects over TCP (the diagnostics say why); once UDP gets through
// again the session moves back to it without a new login.
func TestTransportAutoFallsBackAndReturns(t *testing.T) {
	h := newTransportHarness(t, api.TransportAuto, engine.Options{ProbeInterval: 300 * time.Millisecond})
	t0 := time.Now()
	st, err := h.login(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("login to connected with UDP blocked: %v", time.Since(t0))
	if st.Transport != api.TransportTCP || st.TransportReason != api.ReasonUDPBlocked {
		t.Fatalf("status: transport %q (%q)", st.Transport, st.TransportReason)
	}
	if err := h.portal(); err != nil {
		t.Fatalf("portal over tcp: %v", err)
	}
	diag := h.eng.Diagnostics(context.Background())
	found := false
	for _, e := range diag.Errors {
		found = found || e.Code == api.CodeTunnelUDPBlocked
	}
	if !found {
		t.Fatalf("the diagnostics do not say UDP was blocked: %+v", diag.Errors)
	}
	token := h.eng.Secrets()[0]

	udpBefore := h.g.Device.Streams().Stats().UDP.RxPackets
	h.relay.blocked.Store(false)
	eventually(t, 20*time.Second, "back on UDP", func() bool { return h.eng.Status().Transport == api.TransportUDP })
	if r := h.eng.Status().TransportReason; r != api.ReasonUDPRestored {
		t.Fatalf("reason %q", r)
	}
	if err := h.portal(); err != nil {
		t.Fatalf("portal after the move back to UDP: %v", err)
	}
	if h.g.Device.Streams().Stats().UDP.RxPackets == udpBefore {
		t.Fatal("the gateway received nothing over UDP after the move back")
	}
	eventually(t, 20*time.Second, "the stream closed", func() bool { return h.g.Device.Streams().Stats().Streams == 0 })
	if h.eng.Secrets()[0] != token {
		t.Fatal("the move back to UDP took a new login")
	}
}

// TestTransportKick: an administrator's kick while on TCP closes the
// stream, and the state says the session was kicked.
func TestTransportKick(t *testing.T) {
	h := newTransportHarness(t, api.TransportTCP, engine.Options{})
	ctx := context.Background()
	if _, err := h.login(ctx); err != nil {
		t.Fatal(err)
	}
	sessions, err := h.g.Store.ListActiveSessions(ctx)
	if err != nil || len(sessions) != 1 {
		t.Fatalf("%d sessions, %v", len(sessions), err)
	}
	if _, err := h.g.Store.EndSession(ctx, sessions[0].ID, api.EndKicked, time.Now()); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the stream closed", func() bool { return h.g.Device.Streams().Stats().Streams == 0 })
	eventually(t, 10*time.Second, "the engine disconnected", func() bool {
		st := h.eng.Status()
		return st.State == api.StateDisconnected && st.EndReason == api.EndKicked && st.Transport == ""
	})
}

// TestTransportGatewayRestart: the gateway restarts while a session is on
// TCP; the stream is redialled and the tunnel carries the portal again.
func TestTransportGatewayRestart(t *testing.T) {
	h := newTransportHarness(t, api.TransportTCP, engine.Options{RetryInterval: 500 * time.Millisecond})
	if _, err := h.login(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := h.g.Close(); err != nil {
		t.Fatal(err)
	}
	h.startGateway()
	eventually(t, 30*time.Second, "the portal through the restarted gateway", func() bool { return h.portal() == nil })
	if st := h.eng.Status(); st.State != api.StateConnected || st.Transport != api.TransportTCP {
		t.Fatalf("after the restart: %s on %q", st.State, st.Transport)
	}
	if h.g.Device.Streams().Stats().Streams != 1 {
		t.Fatal("no stream on the restarted gateway")
	}
}

// TestTransportUDPBlockedMidSession: a session on UDP whose UDP stops
// getting through (a network that starts filtering it) moves to TCP and
// keeps working, without a new login.
func TestTransportUDPBlockedMidSession(t *testing.T) {
	h := newTransportHarness(t, api.TransportAuto, engine.Options{ProbeInterval: 300 * time.Millisecond})
	h.relay.blocked.Store(false)
	st, err := h.login(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Transport != api.TransportUDP || st.TransportReason != api.ReasonUDPWorks {
		t.Fatalf("status with UDP open: transport %q (%q)", st.Transport, st.TransportReason)
	}
	token := h.eng.Secrets()[0]
	h.relay.blocked.Store(true)
	// Traffic that gets no answer is what gives UDP away.
	eventually(t, 30*time.Second, "moved to TCP", func() bool {
		go h.portal()
		return h.eng.Status().Transport == api.TransportTCP
	})
	eventually(t, 20*time.Second, "the portal over TCP", func() bool { return h.portal() == nil })
	if st := h.eng.Status(); st.State != api.StateConnected || st.TransportReason != api.ReasonUDPBlocked || h.eng.Secrets()[0] != token {
		t.Fatalf("after UDP was blocked: %s, reason %q, same session %v", st.State, st.TransportReason, h.eng.Secrets()[0] == token)
	}
}
