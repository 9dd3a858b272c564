package streambind

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.zx2c4.com/wireguard/conn"
)

// Transport is the path a Client sends WireGuard packets on.
type Transport int32

const (
	UDP Transport = iota // datagrams to the peer's endpoint, as WireGuard does
	TCP                  // frames on a TLS stream to the gateway's HTTPS port
)

func (t Transport) String() string {
	if t == TCP {
		return "tcp"
	}
	return "udp"
}

// DialFunc opens a stream to the gateway, already upgraded: what it returns
// carries frames both ways.
type DialFunc func(ctx context.Context) (net.Conn, error)

// ClientOptions configure a Client.
type ClientOptions struct {
	// Dial opens the stream (TLS to the gateway's API, HTTP upgrade with
	// the session token). Required for TCP.
	Dial DialFunc
	// OnStream is told when the stream comes up (err nil) and when a dial
	// or the stream fails. It must not block.
	OnStream func(err error)
	// QueueBytes bounds the send queue (default DefaultQueueBytes).
	QueueBytes int
	Logger     *slog.Logger
}

// Client is the client's conn.Bind: UDP as conn.NewDefaultBind does, and a
// stream to the gateway that takes over sending when the transport is TCP.
// Packets are accepted from both whatever the transport, so nothing is
// lost while switching. Its methods are safe for concurrent use.
type Client struct {
	udp  conn.Bind
	o    ClientOptions
	log  *slog.Logger
	mode atomic.Int32

	// lastUDP is the endpoint the device last sent to: packets from the
	// stream are reported as coming from it, so the device's peer keeps its
	// UDP endpoint (and the UAPI shows it) whichever path carries them.
	lastUDP atomic.Pointer[conn.Endpoint]

	mu     sync.Mutex
	in     *inbound // nil while closed
	cur    *stream  // the live stream, nil when none
	cancel context.CancelFunc
	keeper sync.WaitGroup
	probes map[[probeNonceLen]byte]chan struct{}
	// pending holds the few packets sent while the stream is being dialled
	// (the handshake initiation, typically), so the first handshake does not
	// wait for WireGuard's 5-second retry. Bounded in count and age.
	pending []pendingPacket

	rxStream, txDrops atomic.Uint64
}

// NewClient returns a Client sending on transport t. udp is the UDP bind
// (conn.NewDefaultBind()).
func NewClient(udp conn.Bind, t Transport, o ClientOptions) *Client {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Client{udp: udp, o: o, log: o.Logger, probes: map[[probeNonceLen]byte]chan struct{}{}}
	c.mode.Store(int32(t))
	return c
}

var _ conn.Bind = (*Client)(nil)

// Transport returns the transport packets are sent on.
func (c *Client) Transport() Transport { return Transport(c.mode.Load()) }

// SetTransport switches the transport. To TCP, the stream is dialled (and
// redialled while it fails, with backoff) in a goroutine the Client owns;
// to UDP, the stream is closed after linger, so replies already on their
// way over it still arrive.
func (c *Client) SetTransport(t Transport, linger time.Duration) {
	if Transport(c.mode.Swap(int32(t))) == t {
		return
	}
	c.log.Info("transport switched", "transport", t)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.in == nil {
		return // Open starts the keeper
	}
	if t == TCP {
		c.startKeeperLocked()
		return
	}
	cancel := c.cancel
	c.cancel = nil
	if cancel == nil {
		return
	}
	if linger <= 0 {
		cancel()
		return
	}
	c.keeper.Add(1)
	go func() { // owned by the Client: Close cancels and waits
		defer c.keeper.Done()
		t := time.NewTimer(linger)
		defer t.Stop()
		c.mu.Lock()
		in := c.in
		c.mu.Unlock()
		if in == nil {
			cancel()
			return
		}
		select {
		case <-t.C:
		case <-in.closed:
		}
		cancel()
	}()
}

// Open opens the UDP bind and, on TCP, starts keeping the stream.
func (c *Client) Open(port uint16) ([]conn.ReceiveFunc, uint16, error) {
	fns, actual, err := c.udp.Open(port)
	if err != nil {
		return nil, 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.in != nil {
		c.udp.Close()
		return nil, 0, conn.ErrBindAlreadyOpen
	}
	c.in = newInbound()
	wrapped := make([]conn.ReceiveFunc, 0, len(fns)+1)
	for _, fn := range fns {
		wrapped = append(wrapped, c.catchProbeReplies(fn))
	}
	wrapped = append(wrapped, c.in.receive)
	if c.Transport() == TCP {
		c.startKeeperLocked()
	}
	return wrapped, actual, nil
}

// Close closes the UDP bind and the stream, and waits for the goroutines.
func (c *Client) Close() error {
	c.mu.Lock()
	in := c.in
	c.in = nil
	if c.cancel != nil {
		c.cancel()
		c.cancel = nil
	}
	if in != nil {
		in.close()
	}
	c.mu.Unlock()
	err := c.udp.Close()
	c.keeper.Wait()
	return err
}

func (c *Client) SetMark(mark uint32) error { return c.udp.SetMark(mark) }

func (c *Client) ParseEndpoint(s string) (conn.Endpoint, error) { return c.udp.ParseEndpoint(s) }

func (c *Client) BatchSize() int { return c.udp.BatchSize() }

// Send sends on the current transport. On TCP without a live stream the
// packets are dropped, as a UDP path that is down drops them.
func (c *Client) Send(bufs [][]byte, ep conn.Endpoint) error {
	if _, ok := ep.(*streamEndpoint); !ok && ep != nil {
		if p := c.lastUDP.Load(); p == nil || *p != ep {
			c.lastUDP.Store(&ep)
		}
	} else if p := c.lastUDP.Load(); p != nil {
		ep = *p
	}
	if c.Transport() == UDP {
		if ep == nil {
			return conn.ErrWrongEndpointType
		}
		return c.udp.Send(bufs, ep)
	}
	c.mu.Lock()
	s := c.cur
	if s == nil {
		for _, b := range bufs {
			if len(c.pending) == maxPending {
				c.txDrops.Add(1)
				continue
			}
			c.pending = append(c.pending, pendingPacket{b: append([]byte(nil), b...), at: time.Now()})
		}
	}
	c.mu.Unlock()
	if s == nil {
		return nil
	}
	return s.send(bufs)
}

type pendingPacket struct {
	b  []byte
	at time.Time
}

// Bounds of Client.pending.
const (
	maxPending    = 16
	maxPendingAge = 2 * time.Second
)

// flushPendingLocked sends what waited for the stream s, if it is recent.
// c.mu must be held.
func (c *Client) flushPendingLocked(s *stream) {
	for _, p := range c.pending {
		if time.Since(p.at) < maxPendingAge {
			s.send([][]byte{p.b})
		} else {
			c.txDrops.Add(1)
		}
	}
	c.pending = nil
}

// Connected reports whether a stream is up.
func (c *Client) Connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cur != nil
}

// startKeeperLocked starts the goroutine that keeps a stream up while the
// transport is TCP. c.mu must be held and the bind open.
func (c *Client) startKeeperLocked() {
	if c.cancel != nil || c.o.Dial == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	in := c.in
	c.keeper.Add(1)
	go func() {
		defer c.keeper.Done()
		c.keep(ctx, in)
	}()
}

// Backoff between dials of a failed stream.
const (
	minRedial = 200 * time.Millisecond
	maxRedial = 5 * time.Second
)

// keep dials the stream, reads it until it fails, and dials again, until
// ctx ends.
func (c *Client) keep(ctx context.Context, in *inbound) {
	wait := time.Duration(0)
	for {
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		nc, err := c.o.Dial(dctx)
		cancel()
		if ctx.Err() != nil {
			if nc != nil {
				nc.Close()
			}
			return
		}
		if err != nil {
			c.log.Warn("stream dial failed", "err", err)
			c.report(err)
			wait = min(max(2*wait, minRedial), maxRedial)
			continue
		}
		s := newStream(nc, nil, c.o.QueueBytes, 0)
		c.mu.Lock()
		c.cur = s
		c.flushPendingLocked(s)
		c.mu.Unlock()
		c.log.Info("stream up", "remote", nc.RemoteAddr())
		c.report(nil)
		stop := context.AfterFunc(ctx, s.close)
		start := time.Now()
		err = s.readLoop(in, func() conn.Endpoint {
			if p := c.lastUDP.Load(); p != nil {
				return *p
			}
			return streamEP
		}, func(packets, _ int, queued bool) {
			if queued {
				c.rxStream.Add(uint64(packets))
			}
		})
		stop()
		s.closeWait()
		c.mu.Lock()
		if c.cur == s {
			c.cur = nil
		}
		c.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
		c.log.Warn("stream lost", "err", err)
		c.report(fmt.Errorf("streambind: the stream to the gateway closed: %w", err))
		wait = minRedial
		if time.Since(start) > time.Minute {
			wait = 0 // it worked for a while: retry at once
		}
	}
}

func (c *Client) report(err error) {
	if c.o.OnStream != nil {
		c.o.OnStream(err)
	}
}

// catchProbeReplies wraps a UDP ReceiveFunc: probe replies are taken out
// of the batch (size 0, which the device skips) and signalled.
func (c *Client) catchProbeReplies(fn conn.ReceiveFunc) conn.ReceiveFunc {
	return func(bufs [][]byte, sizes []int, eps []conn.Endpoint) (int, error) {
		n, err := fn(bufs, sizes, eps)
		for i := range n {
			nonce, ok := probeReplyNonce(bufs[i][:sizes[i]])
			if !ok {
				continue
			}
			sizes[i] = 0
			c.mu.Lock()
			if ch, ok := c.probes[nonce]; ok {
				delete(c.probes, nonce)
				close(ch)
			}
			c.mu.Unlock()
		}
		return n, err
	}
}

// ErrNoEndpoint: ProbeUDP was called before the device sent anything, so
// the gateway's UDP endpoint is not known yet.
var ErrNoEndpoint = errors.New("streambind: no UDP endpoint to probe yet")

// ProbeUDP asks the gateway over UDP whether UDP gets through, whatever the
// transport: it sends a probe to the UDP endpoint and waits for the answer
// until ctx ends.
func (c *Client) ProbeUDP(ctx context.Context) error {
	p := c.lastUDP.Load()
	if p == nil {
		return ErrNoEndpoint
	}
	var nonce [probeNonceLen]byte
	rand.Read(nonce[:])
	ch := make(chan struct{})
	c.mu.Lock()
	c.probes[nonce] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.probes, nonce)
		c.mu.Unlock()
	}()
	req := probeRequest(nonce)
	// Twice, a moment apart: one lost datagram should not keep a client on
	// TCP for another probe interval.
	for i := range 2 {
		if err := c.udp.Send([][]byte{req}, *p); err != nil {
			return fmt.Errorf("streambind: sending a UDP probe: %w", err)
		}
		t := time.NewTimer(time.Duration(i+1) * 300 * time.Millisecond)
		select {
		case <-ch:
			t.Stop()
			return nil
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("streambind: no answer to the UDP probe: %w", ctx.Err())
		case <-t.C:
		}
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("streambind: no answer to the UDP probe: %w", ctx.Err())
	}
}

// ClientStats are the Client's counters.
type ClientStats struct {
	StreamRxPackets uint64 // packets received on streams
	Dropped         uint64 // packets dropped on TCP: no stream, or its queue full
}

func (c *Client) Stats() ClientStats {
	st := ClientStats{StreamRxPackets: c.rxStream.Load(), Dropped: c.txDrops.Load()}
	c.mu.Lock()
	if c.cur != nil {
		st.Dropped += c.cur.dropped.Load()
	}
	c.mu.Unlock()
	return st
}
