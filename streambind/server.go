package streambind

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
	"golang.zx2c4.com/wireguard/conn"
)

// ServerOptions configure a Server.
type ServerOptions struct {
	// MaxStreams bounds the streams open at once (default 10000); Accept
	// refuses more with ErrTooManyStreams.
	MaxStreams int
	// QueueBytes bounds each stream's send queue (default DefaultQueueBytes).
	QueueBytes int
	// IdleTimeout closes a stream that carried nothing for this long
	// (default 3 minutes: clients send a keepalive at least every 25 s).
	IdleTimeout time.Duration
	// ProbeRate bounds the UDP probe answers per second, all clients
	// together (default 1000); probes beyond it go unanswered.
	ProbeRate rate.Limit
	Logger    *slog.Logger
}

// Server is the gateway's conn.Bind: the UDP socket, plus every stream a
// client opened through the HTTPS listener, all feeding one device. A
// packet that came on a stream has that stream as its endpoint, so the
// device answers the peer the way it last heard from it; the peer, its
// keys and its allowed IPs are the same whichever way.
type Server struct {
	udp   conn.Bind
	o     ServerOptions
	log   *slog.Logger
	probe *rate.Limiter

	mu      sync.Mutex
	in      *inbound // nil while closed
	streams map[*ServerStream]struct{}
	wg      sync.WaitGroup // stream readers

	udpRx, udpTx, tcpRx, tcpTx counter
	tcpDrops, probes           atomic.Uint64
	accepted                   atomic.Uint64
}

type counter struct{ packets, bytes atomic.Uint64 }

func (c *counter) add(packets int, bytes int) {
	c.packets.Add(uint64(packets))
	c.bytes.Add(uint64(bytes))
}

// NewServer wraps udp (conn.NewDefaultBind()).
func NewServer(udp conn.Bind, o ServerOptions) *Server {
	if o.MaxStreams <= 0 {
		o.MaxStreams = 10000
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 3 * time.Minute
	}
	if o.ProbeRate <= 0 {
		o.ProbeRate = 1000
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Server{udp: udp, o: o, log: o.Logger, probe: rate.NewLimiter(o.ProbeRate, int(o.ProbeRate)/10+1),
		streams: map[*ServerStream]struct{}{}}
}

var _ conn.Bind = (*Server)(nil)

// Open opens the UDP socket; streams are accepted from then on.
func (s *Server) Open(port uint16) ([]conn.ReceiveFunc, uint16, error) {
	fns, actual, err := s.udp.Open(port)
	if err != nil {
		return nil, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.in != nil {
		s.udp.Close()
		return nil, 0, conn.ErrBindAlreadyOpen
	}
	s.in = newInbound()
	out := make([]conn.ReceiveFunc, 0, len(fns)+1)
	for _, fn := range fns {
		out = append(out, s.receiveUDP(fn))
	}
	return append(out, s.in.receive), actual, nil
}

// Close closes the UDP socket and every stream, and waits for their
// goroutines.
func (s *Server) Close() error {
	s.mu.Lock()
	in := s.in
	s.in = nil
	streams := s.streams
	s.streams = map[*ServerStream]struct{}{}
	s.mu.Unlock()
	if in != nil {
		in.close()
	}
	for st := range streams {
		st.s.close()
	}
	err := s.udp.Close()
	s.wg.Wait()
	return err
}

func (s *Server) SetMark(mark uint32) error                       { return s.udp.SetMark(mark) }
func (s *Server) ParseEndpoint(str string) (conn.Endpoint, error) { return s.udp.ParseEndpoint(str) }
func (s *Server) BatchSize() int                                  { return s.udp.BatchSize() }

// Send sends to a stream endpoint on its stream, to any other over UDP.
func (s *Server) Send(bufs [][]byte, ep conn.Endpoint) error {
	n := 0
	for _, b := range bufs {
		n += len(b)
	}
	if se, ok := ep.(*streamEndpoint); ok {
		if se.s == nil {
			return conn.ErrWrongEndpointType
		}
		before := se.s.dropped.Load()
		err := se.s.send(bufs)
		if d := se.s.dropped.Load() - before; d > 0 {
			s.tcpDrops.Add(d)
		} else if err == nil {
			s.tcpTx.add(len(bufs), n)
		}
		return err
	}
	s.udpTx.add(len(bufs), n)
	return s.udp.Send(bufs, ep)
}

// receiveUDP counts what fn receives and answers UDP probes, which never
// reach the device.
func (s *Server) receiveUDP(fn conn.ReceiveFunc) conn.ReceiveFunc {
	return func(bufs [][]byte, sizes []int, eps []conn.Endpoint) (int, error) {
		n, err := fn(bufs, sizes, eps)
		bytes := 0
		for i := range n {
			if reply, ok := probeAnswer(bufs[i][:sizes[i]]); ok {
				sizes[i] = 0
				if s.probe.Allow() {
					s.probes.Add(1)
					s.udp.Send([][]byte{reply}, eps[i])
				}
				continue
			}
			bytes += sizes[i]
		}
		s.udpRx.add(n, bytes)
		return n, err
	}
}

// ErrTooManyStreams: Accept refused a stream beyond MaxStreams.
var ErrTooManyStreams = errors.New("streambind: too many streams")

// ErrClosed: the bind is closed (the device is down).
var ErrClosed = errors.New("streambind: closed")

// A ServerStream is one client's stream, accepted by Server.Accept.
type ServerStream struct {
	srv  *Server
	s    *stream
	ep   *streamEndpoint
	done chan struct{}
}

// Accept takes over c, a connection whose HTTP upgrade the caller has
// answered; r holds what was read from c beyond the request (nil if
// nothing). Frames from c enter the device as packets from the new
// stream's endpoint. The stream ends when c fails, stays idle beyond
// IdleTimeout, or on Close; Done is closed then. The deadlines the HTTP
// server set on c for its request do not matter: the stream sets its own
// before every read and write.
func (s *Server) Accept(c net.Conn, r io.Reader) (*ServerStream, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.in == nil {
		return nil, ErrClosed
	}
	if len(s.streams) >= s.o.MaxStreams {
		return nil, ErrTooManyStreams
	}
	st := newStream(c, r, s.o.QueueBytes, s.o.IdleTimeout)
	ss := &ServerStream{srv: s, s: st, ep: newStreamEndpoint(c, st), done: make(chan struct{})}
	s.streams[ss] = struct{}{}
	s.accepted.Add(1)
	in := s.in
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(ss.done)
		err := st.readLoop(in, func() conn.Endpoint { return ss.ep }, func(packets, bytes int, queued bool) {
			if queued {
				s.tcpRx.add(packets, bytes)
			} else {
				s.tcpDrops.Add(uint64(packets))
			}
		})
		st.closeWait()
		s.mu.Lock()
		delete(s.streams, ss)
		s.mu.Unlock()
		s.log.Debug("stream closed", "remote", ss.ep.remote, "err", err)
	}()
	return ss, nil
}

// Close ends the stream; Done is closed once its goroutines stopped.
func (ss *ServerStream) Close() { ss.s.close() }

// Done is closed when the stream has ended.
func (ss *ServerStream) Done() <-chan struct{} { return ss.done }

// Remote is the client's TCP address.
func (ss *ServerStream) Remote() string { return ss.ep.DstToString() }

// TransportStats are the packets and bytes of one transport.
type TransportStats struct {
	RxPackets, RxBytes, TxPackets, TxBytes uint64
}

// ServerStats are the Server's counters, per transport.
type ServerStats struct {
	UDP, TCP       TransportStats
	Streams        int    // open now
	StreamsTotal   uint64 // accepted since start
	TCPDropped     uint64 // packets dropped on streams: queue full either way
	ProbesAnswered uint64
}

func (s *Server) Stats() ServerStats {
	s.mu.Lock()
	n := len(s.streams)
	s.mu.Unlock()
	get := func(rx, tx *counter) TransportStats {
		return TransportStats{RxPackets: rx.packets.Load(), RxBytes: rx.bytes.Load(), TxPackets: tx.packets.Load(), TxBytes: tx.bytes.Load()}
	}
	return ServerStats{UDP: get(&s.udpRx, &s.udpTx), TCP: get(&s.tcpRx, &s.tcpTx), Streams: n,
		StreamsTotal: s.accepted.Load(), TCPDropped: s.tcpDrops.Load(), ProbesAnswered: s.probes.Load()}
}
