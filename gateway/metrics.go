package gateway

import (
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/opensvpn/svpn/api"
)

// metrics are the gateway's Prometheus metrics, in a registry of their own
// (no global state).
type metrics struct {
	reg          *prometheus.Registry
	logins       *prometheus.CounterVec
	loginSeconds prometheus.Histogram

	// serve is the metrics handler, built once: the server's collectors
	// can be registered only once.
	serve     http.Handler
	serveOnce sync.Once
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "svpn_gateway_logins_total",
			Help: "Login attempts by result: ok or the refusal code.",
		}, []string{"result"}),
		loginSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "svpn_gateway_login_duration_seconds",
			Help:    "Time to process a login request, argon2id included.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 10),
		}),
	}
	m.reg.MustRegister(m.logins, m.loginSeconds, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) login(result api.Code) { m.logins.WithLabelValues(string(result)).Inc() }

// PeerStats is what a device reports per peer, for the metrics.
type PeerStats interface {
	// Totals returns the number of peers with a handshake in the last 3
	// minutes and the bytes received and sent over all peers.
	Totals() (handshaken int, rx, tx uint64)
}

// handler returns the handler serving m and the server's own collectors
// (registered on the first call).
func (m *metrics) handler(s *Server) http.Handler {
	m.serveOnce.Do(func() { m.serve = m.newHandler(s) })
	return m.serve
}

func (m *metrics) newHandler(s *Server) http.Handler {
	verified := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "svpn_gateway_password_verifications_total",
		Help: "Account passwords evaluated (argon2id), each after a valid certificate signature and a reserved attempt.",
	}, func() float64 { return float64(s.hash.verified.Load()) })
	active := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "svpn_gateway_active_sessions",
		Help: "Sessions with a WireGuard peer on this node.",
	}, func() float64 { return float64(s.ActiveSessions()) })
	m.reg.MustRegister(active, verified)
	if s.streams != nil {
		m.reg.MustRegister(s.streams.collectors()...)
	}
	if s.crls != nil {
		m.reg.MustRegister(s.crls.collector(s.now))
	}
	if ps, ok := s.peers.(PeerStats); ok {
		m.reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "svpn_gateway_handshaken_peers", Help: "Peers with a WireGuard handshake in the last 3 minutes."},
				func() float64 { n, _, _ := ps.Totals(); return float64(n) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "svpn_gateway_received_bytes_total", Help: "Bytes received from all peers."},
				func() float64 { _, rx, _ := ps.Totals(); return float64(rx) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "svpn_gateway_sent_bytes_total", Help: "Bytes sent to all peers."},
				func() float64 { _, _, tx := ps.Totals(); return float64(tx) }),
		)
	}
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
