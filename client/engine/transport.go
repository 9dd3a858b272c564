package engine

import (
	"context"
	"fmt"
	"net"
	"time"

	"golang.zx2c4.com/wireguard/conn"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/streambind"
	"github.com/opensvpn/svpn/tunnel"
)

// Defaults of the transport choice.
const (
	// defaultUDPWait is how long auto waits for a handshake over UDP before
	// it moves to TCP: a handshake on a working path takes one round trip,
	// and WireGuard retries only after 5 s.
	defaultUDPWait = 2500 * time.Millisecond
	// defaultProbeInterval is how often a session on TCP asks, over UDP,
	// whether UDP works again.
	defaultProbeInterval = 20 * time.Second
	// udpStale: on UDP, a handshake older than this (WireGuard renews it
	// every 2 minutes while keepalives flow) means UDP stopped working.
	udpStale = 150 * time.Second
	// streamLinger keeps the stream open after a move back to UDP, for the
	// gateway's packets already on their way over it.
	streamLinger = 5 * time.Second
)

// transport is a session's choice of path for its WireGuard packets, and
// the bind that carries it.
type transport struct {
	mode   api.Transport // the profile's: auto, udp or tcp
	bind   *streambind.Client
	events chan error // the stream's ups (nil) and downs, newest only
	reason string     // why the bind is on its transport; under Engine.mu
}

// newTransport makes the bind for a session whose token is token. The
// profile's transport decides where it starts: TCP for "tcp", UDP else.
func (e *Engine) newTransport(token string) *transport {
	t := &transport{mode: e.o.Profile.Transport, events: make(chan error, 1), reason: api.ReasonProfile}
	if t.mode == "" {
		t.mode = api.TransportAuto
	}
	start := streambind.UDP
	if t.mode == api.TransportTCP {
		start = streambind.TCP
	}
	t.bind = streambind.NewClient(conn.NewDefaultBind(), start, streambind.ClientOptions{
		Dial: func(ctx context.Context) (net.Conn, error) { return e.o.Gateway.DialStream(ctx, token) },
		OnStream: func(err error) {
			select { // keep only the newest event
			case <-t.events:
			default:
			}
			t.events <- err
		},
		Logger: e.log.With("component", "transport"),
	})
	return t
}

// current is the transport the bind sends on, as the status shows it.
func (t *transport) current() api.Transport {
	if t.bind.Transport() == streambind.TCP {
		return api.TransportTCP
	}
	return api.TransportUDP
}

// firstHandshake waits for the session's first handshake. In auto, it
// gives UDP UDPWait; the login has just crossed the gateway's API, so a
// silent UDP path means UDP is blocked, and the rest of the wait runs on
// TCP.
func (e *Engine) firstHandshake(ctx context.Context, s *session) error {
	t := s.tr
	if t.mode != api.TransportAuto {
		return waitHandshake(ctx, s.tun, e.o.HandshakeTimeout)
	}
	err := waitHandshake(ctx, s.tun, e.o.UDPWait)
	if err == nil {
		e.setReason(t, api.ReasonUDPWorks)
		return nil
	}
	if ctx.Err() != nil {
		return err
	}
	e.toTCP(s, fmt.Sprintf("no WireGuard handshake over UDP within %s while the gateway's API answered", e.o.UDPWait))
	return waitHandshake(ctx, s.tun, e.o.HandshakeTimeout)
}

func (e *Engine) setReason(t *transport, reason string) {
	e.mu.Lock()
	t.reason = reason
	e.mu.Unlock()
}

// toTCP moves the session to the stream and starts a handshake over it
// (the UDP one may be seconds from its retry), recording why.
func (e *Engine) toTCP(s *session, why string) {
	s.tr.bind.SetTransport(streambind.TCP, 0)
	if r, ok := s.tun.(interface{ Rekey() error }); ok {
		if err := r.Rekey(); err != nil {
			e.log.Warn("re-keying after the move to TCP", "err", err)
		}
	}
	e.log.Info("transport: moved to TCP", "why", why)
	e.mu.Lock()
	s.tr.reason = api.ReasonUDPBlocked
	e.recordErrorLocked(api.Errorf(api.CodeTunnelUDPBlocked, "UDP is blocked: %s; the tunnel runs over TCP (HTTPS)", why))
	if e.sess == s {
		e.updateLocked(func(st *api.Status) { st.Transport, st.TransportReason = api.TransportTCP, api.ReasonUDPBlocked })
	}
	e.mu.Unlock()
}

// toUDP moves the session back to UDP and tells the gateway at once with a
// keepalive, so its replies follow; the stream closes a moment later.
func (e *Engine) toUDP(s *session) {
	s.tr.bind.SetTransport(streambind.UDP, streamLinger)
	if k, ok := s.tun.(interface{ SendKeepalive() error }); ok {
		k.SendKeepalive()
	}
	e.log.Info("transport: back on UDP")
	e.mu.Lock()
	s.tr.reason = api.ReasonUDPRestored
	if e.sess == s {
		e.updateLocked(func(st *api.Status) { st.Transport, st.TransportReason = api.TransportUDP, api.ReasonUDPRestored })
	}
	e.mu.Unlock()
}

// manageTransport runs for the session's life: it reports the stream's
// failures (and checks the session at once: a stream closed by the gateway
// is often a kick), and in auto probes UDP while on TCP and moves back
// when it answers, and while on UDP moves to TCP when UDP falls silent and
// a probe goes unanswered.
func (e *Engine) manageTransport(ctx context.Context, s *session) {
	t := s.tr
	tick := time.NewTicker(e.o.ProbeInterval)
	defer tick.Stop()
	var last tunnel.Stats // at the previous tick, on UDP
	for {
		select {
		case <-ctx.Done():
			return
		case err := <-t.events:
			if err == nil || t.bind.Transport() != streambind.TCP {
				continue
			}
			e.mu.Lock()
			e.recordErrorLocked(api.Errorf(api.CodeTunnelStream, "%w", err))
			e.mu.Unlock()
			select { // check the session now: a stream the gateway closed is often a kick
			case s.kick <- struct{}{}:
			default:
			}
		case <-tick.C:
			if t.mode != api.TransportAuto {
				continue
			}
			switch t.bind.Transport() {
			case streambind.TCP:
				last = tunnel.Stats{}
				pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				err := t.bind.ProbeUDP(pctx)
				cancel()
				if err == nil && ctx.Err() == nil {
					e.toUDP(s)
				}
			case streambind.UDP:
				st, err := s.tun.Stats()
				if err != nil {
					continue
				}
				// Suspect UDP when the handshake is stale, or when packets
				// went out since the last tick and nothing came back; then
				// ask the gateway directly.
				stale := time.Since(st.LastHandshake) > udpStale
				silent := last.TxBytes != 0 && st.TxBytes > last.TxBytes && st.RxBytes == last.RxBytes
				last = st
				if !stale && !silent {
					continue
				}
				pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				err = t.bind.ProbeUDP(pctx)
				cancel()
				if err != nil && ctx.Err() == nil {
					why := fmt.Sprintf("nothing received over UDP for %s and no answer to a UDP probe", e.o.ProbeInterval)
					if stale {
						why = fmt.Sprintf("no handshake over UDP for %s and no answer to a UDP probe", time.Since(st.LastHandshake).Round(time.Second))
					}
					e.toTCP(s, why)
					last = tunnel.Stats{}
				}
			}
		}
	}
}
