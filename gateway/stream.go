package gateway

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/gateway/store"
	"github.com/opensvpn/svpn/streambind"
)

// Streams is where the tunnel's TCP streams go: the WireGuard device's
// bind (wgdevice.Device.Streams), which feeds their frames to the same
// device, peer and keys as UDP.
type Streams interface {
	Accept(c net.Conn, r io.Reader) (*streambind.ServerStream, error)
	Stats() streambind.ServerStats
}

// Limits of the stream endpoint.
const (
	// streamsPerSession: a client redials when its network changes while
	// the old stream may still look open; beyond this the oldest goes.
	streamsPerSession = 2
	// A source whose stream requests were refused this often within
	// streamFailWindow is answered without a store lookup until the window
	// passes: a flood of made-up tokens costs a map lookup each.
	streamFailLimit  = 20
	streamFailWindow = time.Minute
	maxFailSources   = 100_000
)

// streamRegistry holds the streams of this node's sessions, so ending a
// session (logout, kick, expiry) closes its streams at once.
type streamRegistry struct {
	streams    Streams
	max        int
	maxSources int // maxFailSources; smaller in tests

	mu        sync.Mutex
	bySession map[string][]sessionStream
	fails     map[string]*sourceFails
	// opening counts the streams admitted and not yet handed to the
	// device: the device counts a stream only once it has it, and the
	// client may ask for the next one as soon as it reads 101.
	opening int
	seq     uint64 // admission order, so the oldest stream is the one closed

	refusals *prometheus.CounterVec
}

type sourceFails struct {
	n     int
	since time.Time
}

func newStreamRegistry(s Streams, max int) *streamRegistry {
	if max <= 0 {
		max = 10000
	}
	return &streamRegistry{streams: s, max: max, maxSources: maxFailSources, bySession: map[string][]sessionStream{}, fails: map[string]*sourceFails{},
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "svpn_gateway_stream_refusals_total",
			Help: "Requests for a tunnel stream refused, by reason (no_upgrade, no_token, rate_limited, unknown_token, session_ended, wrong_node, limit).",
		}, []string{"reason"})}
}

// limited reports whether src is over its refusal budget.
func (r *streamRegistry) limited(src string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	f, ok := r.fails[src]
	if !ok {
		return false
	}
	if now.Sub(f.since) > streamFailWindow {
		delete(r.fails, src)
		return false
	}
	return f.n >= streamFailLimit
}

// failed counts a refusal that cost a store lookup against src.
func (r *streamRegistry) failed(src string, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f, ok := r.fails[src]
	if !ok || now.Sub(f.since) > streamFailWindow {
		if !ok && len(r.fails) >= r.maxSources {
			for k, v := range r.fails {
				if now.Sub(v.since) > streamFailWindow {
					delete(r.fails, k)
				}
			}
			if len(r.fails) >= r.maxSources {
				return // no room: the lookups stay bounded by the store's speed
			}
		}
		f = &sourceFails{since: now}
		r.fails[src] = f
	}
	f.n++
}

// reserve takes a place for a stream about to open, within max together
// with those the device holds; unreserve gives it back once the device has
// the stream (or it failed).
func (r *streamRegistry) reserve() (seq uint64, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.streams.Stats().Streams+r.opening >= r.max {
		return 0, false
	}
	r.opening++
	r.seq++
	return r.seq, true
}

func (r *streamRegistry) unreserve() {
	r.mu.Lock()
	r.opening--
	r.mu.Unlock()
}

// sessionStream is a stream of a session with its admission order.
type sessionStream struct {
	seq uint64
	ss  *streambind.ServerStream
}

// add records ss, admitted as seq, for session id, closing the oldest
// admitted beyond the limit: handlers may get here out of order.
func (r *streamRegistry) add(id string, seq uint64, ss *streambind.ServerStream) {
	r.mu.Lock()
	list := r.bySession[id][:0:0]
	for _, old := range r.bySession[id] {
		select {
		case <-old.ss.Done():
		default:
			list = append(list, old)
		}
	}
	list = append(list, sessionStream{seq, ss})
	slices.SortFunc(list, func(a, b sessionStream) int { return cmp.Compare(a.seq, b.seq) })
	var evict []*streambind.ServerStream
	for len(list) > streamsPerSession {
		evict = append(evict, list[0].ss)
		list = list[1:]
	}
	r.bySession[id] = list
	r.mu.Unlock()
	for _, old := range evict {
		old.Close()
	}
}

// closeSession closes the streams of session id.
func (r *streamRegistry) closeSession(id string) {
	r.mu.Lock()
	list := r.bySession[id]
	delete(r.bySession, id)
	r.mu.Unlock()
	for _, s := range list {
		s.ss.Close()
	}
}

func (r *streamRegistry) refuse(reason string) { r.refusals.WithLabelValues(reason).Inc() }

// upgradeRequested reports whether r asks for the stream protocol.
func upgradeRequested(r *http.Request) bool {
	if r.Method != http.MethodGet || r.ProtoMajor != 1 || r.ProtoMinor < 1 {
		return false
	}
	up := false
	for _, v := range r.Header.Values("Connection") {
		for tok := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "upgrade") {
				up = true
			}
		}
	}
	return up && strings.EqualFold(strings.TrimSpace(r.Header.Get("Upgrade")), api.StreamUpgrade)
}

// plausibleToken reports whether tok could be a session token (32 random
// bytes in unpadded base64url), so junk costs no store lookup.
func plausibleToken(tok string) bool {
	if len(tok) != 43 {
		return false
	}
	for i := 0; i < len(tok); i++ {
		switch c := tok[i]; {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

// handleStream turns an HTTPS request into a tunnel stream: after the
// checks, the connection carries WireGuard frames into the device. The
// cheap refusals come first (shape, token syntax, the source's refusal
// budget), the store lookup last.
func (s *Server) handleStream(w http.ResponseWriter, r *http.Request) {
	reg := s.streams
	if reg == nil {
		s.writeError(w, r, refuse(api.CodeBadRequest, "this gateway offers no tunnel stream"))
		return
	}
	if !upgradeRequested(r) {
		reg.refuse("no_upgrade")
		s.writeError(w, r, refuse(api.CodeBadRequest, "a tunnel stream is an HTTP/1.1 GET with Connection: Upgrade and Upgrade: %s", api.StreamUpgrade))
		return
	}
	if err := checkAPIVersion(r); err != nil {
		reg.refuse("no_upgrade")
		s.writeError(w, r, err)
		return
	}
	tok, ok := bearer(r)
	if !ok || !plausibleToken(tok) {
		reg.refuse("no_token")
		s.writeError(w, r, refuse(api.CodeUnauthorized, "missing or malformed session token"))
		return
	}
	src, now := clientSource(r), s.now()
	if reg.limited(src, now) {
		reg.refuse("rate_limited")
		ref := refuse(api.CodeStreamRateLimited, "too many refused stream requests from this address")
		ref.resp.RetryAfter = int(streamFailWindow.Seconds())
		s.writeError(w, r, ref)
		return
	}
	sess, err := s.st.SessionByToken(r.Context(), store.HashToken(tok))
	if errors.Is(err, store.ErrNotFound) {
		reg.failed(src, now)
		reg.refuse("unknown_token")
		s.writeError(w, r, refuse(api.CodeUnauthorized, "unknown session token"))
		return
	} else if err != nil {
		s.writeError(w, r, internalError(err))
		return
	}
	switch {
	case !sess.Active():
		reg.failed(src, now)
		reg.refuse("session_ended")
		s.writeError(w, r, sessionEnded(sess.EndReason))
		return
	case now.After(sess.ExpiresAt) || now.After(sess.IdleExpiresAt):
		reg.refuse("session_ended")
		s.writeError(w, r, sessionEnded(api.EndExpired))
		return
	}
	s.mu.Lock()
	_, here := s.live[sess.ID]
	s.mu.Unlock()
	if !here {
		reg.refuse("wrong_node")
		s.writeError(w, r, refuse(api.CodeStreamWrongNode, "the session's tunnel is on another node"))
		return
	}
	seq, ok := reg.reserve()
	if !ok {
		reg.refuse("limit")
		ref := refuse(api.CodeStreamLimit, "the gateway holds as many streams as it allows")
		ref.resp.RetryAfter = 5
		s.writeError(w, r, ref)
		return
	}
	defer reg.unreserve()
	hj, ok := w.(http.Hijacker)
	if !ok {
		s.writeError(w, r, internalError(errors.New("the connection cannot be taken over (not HTTP/1.1)")))
		return
	}
	c, brw, err := hj.Hijack()
	if err != nil {
		s.log.Warn("stream hijack", "err", err)
		return
	}
	c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := fmt.Fprintf(c, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: %s\r\n\r\n", api.StreamUpgrade); err != nil {
		c.Close()
		return
	}
	var rest io.Reader = c
	if brw.Reader.Buffered() > 0 {
		rest = io.MultiReader(io.LimitReader(brw.Reader, int64(brw.Reader.Buffered())), c)
	}
	ss, err := reg.streams.Accept(c, rest)
	if err != nil {
		reg.refuse("limit")
		c.Close()
		return
	}
	// The session may have ended between the lookup and now: dropPeer
	// closes what is registered, so register first, then look again.
	reg.add(sess.ID, seq, ss)
	s.mu.Lock()
	_, here = s.live[sess.ID]
	s.mu.Unlock()
	if !here {
		reg.closeSession(sess.ID)
		return
	}
	s.log.Info("tunnel stream open", "session", sess.ID, "user", sess.UserID, "remote", ss.Remote())
}

// transportCollector exports the device's packets and bytes per transport.
type transportCollector struct {
	streams                           Streams
	packets, bytes, open, total, drop *prometheus.Desc
}

func newTransportCollector(s Streams) *transportCollector {
	return &transportCollector{streams: s,
		packets: prometheus.NewDesc("svpn_gateway_transport_packets_total", "WireGuard packets by transport (udp, tcp) and direction (rx, tx).", []string{"transport", "direction"}, nil),
		bytes:   prometheus.NewDesc("svpn_gateway_transport_bytes_total", "WireGuard bytes by transport (udp, tcp) and direction (rx, tx).", []string{"transport", "direction"}, nil),
		open:    prometheus.NewDesc("svpn_gateway_streams", "Tunnel streams (TCP transport) open now.", nil, nil),
		total:   prometheus.NewDesc("svpn_gateway_streams_accepted_total", "Tunnel streams accepted since start.", nil, nil),
		drop:    prometheus.NewDesc("svpn_gateway_stream_dropped_packets_total", "Packets dropped on streams because a queue was full.", nil, nil),
	}
}

func (c *transportCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.packets, c.bytes, c.open, c.total, c.drop} {
		ch <- d
	}
}

func (c *transportCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.streams.Stats()
	for name, t := range map[string]streambind.TransportStats{"udp": st.UDP, "tcp": st.TCP} {
		ch <- prometheus.MustNewConstMetric(c.packets, prometheus.CounterValue, float64(t.RxPackets), name, "rx")
		ch <- prometheus.MustNewConstMetric(c.packets, prometheus.CounterValue, float64(t.TxPackets), name, "tx")
		ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.CounterValue, float64(t.RxBytes), name, "rx")
		ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.CounterValue, float64(t.TxBytes), name, "tx")
	}
	ch <- prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, float64(st.Streams))
	ch <- prometheus.MustNewConstMetric(c.total, prometheus.CounterValue, float64(st.StreamsTotal))
	ch <- prometheus.MustNewConstMetric(c.drop, prometheus.CounterValue, float64(st.TCPDropped))
}

// collectors are the stream metrics, for the metrics registry.
func (r *streamRegistry) collectors() []prometheus.Collector {
	return []prometheus.Collector{r.refusals, newTransportCollector(r.streams)}
}
