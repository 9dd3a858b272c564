package streambind

import (
	"errors"

	"golang.zx2c4.com/wireguard/conn"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of both sides.
const (
	// DefaultQueueBytes bounds what waits to be written to a stream: 8 ms
	// at 1 Gbit/s. Less drops bursts a fast path carries (256 KiB halved
	// the throughput on a 1 Gbit/s path); on slower paths maxQueueDelay
	// drops first.
	DefaultQueueBytes = 1 << 20
	// maxQueueDelay drops what waited longer than this to be written: a
	// slow path must not become seconds of buffer the inner TCP fills and
	// then waits on (bufferbloat). A UDP path would have dropped it too.
	maxQueueDelay = 100 * time.Millisecond
	// writeTimeout closes a stream whose peer stopped reading.
	writeTimeout = 10 * time.Second
	// maxWrite is how much the writer gathers into one write (one syscall,
	// a few TLS records).
	maxWrite = 64 << 10
)

// A stream is one framed connection: a writer goroutine draining a queue
// bounded in bytes, and a reader the owner runs. It is closed once, by
// whichever side fails first or by its owner.
type stream struct {
	conn      net.Conn
	r         *frameReader
	queue     chan batch
	queued    atomic.Int64
	maxQueued int64
	idle      time.Duration // read deadline per frame; 0 for none

	done      chan struct{}
	closeOnce sync.Once
	writerWG  sync.WaitGroup

	txPackets, txBytes, dropped atomic.Uint64
}

// newStream starts the writer of c; r, if not nil, holds bytes of c already
// read (what an HTTP upgrade buffered). The caller runs readLoop and calls
// close.
func newStream(c net.Conn, r io.Reader, queueBytes int, idle time.Duration) *stream {
	if r == nil {
		r = c
	}
	if tc, ok := underlyingTCP(c); ok {
		tc.SetNoDelay(true) // Go's default; said here because the design relies on it
	}
	if queueBytes <= 0 {
		queueBytes = DefaultQueueBytes
	}
	s := &stream{conn: c, r: newFrameReader(r), queue: make(chan batch, 1024), maxQueued: int64(queueBytes),
		idle: idle, done: make(chan struct{})}
	s.writerWG.Add(1)
	go s.writeLoop()
	return s
}

// underlyingTCP finds the TCP connection under TLS or other wrappers that
// expose it with NetConn.
func underlyingTCP(c net.Conn) (*net.TCPConn, bool) {
	for range 4 {
		switch x := c.(type) {
		case *net.TCPConn:
			return x, true
		case interface{ NetConn() net.Conn }:
			c = x.NetConn()
		default:
			return nil, false
		}
	}
	return nil, false
}

var errStreamClosed = errors.New("streambind: stream closed")

// batch is a send's frames, with when they were queued.
type batch struct {
	b       []byte
	packets int
	at      time.Time
}

// send frames bufs and queues them as one batch, or drops them all when the
// queue is full: the stream then behaves like a congested UDP path.
func (s *stream) send(bufs [][]byte) error {
	select {
	case <-s.done:
		return errStreamClosed
	default:
	}
	size := 0
	for _, b := range bufs {
		size += headerLen + len(b)
	}
	if s.queued.Add(int64(size)) > s.maxQueued {
		s.queued.Add(-int64(size))
		s.dropped.Add(uint64(len(bufs)))
		return nil
	}
	frames := make([]byte, 0, size)
	var err error
	for _, b := range bufs {
		if frames, err = appendFrame(frames, b); err != nil {
			s.queued.Add(-int64(size))
			return err
		}
	}
	select {
	case s.queue <- batch{b: frames, packets: len(bufs), at: time.Now()}:
		s.txPackets.Add(uint64(len(bufs)))
		s.txBytes.Add(uint64(size))
	case <-s.done:
		s.queued.Add(-int64(size))
		return errStreamClosed
	default: // more batches than slots: drop too
		s.queued.Add(-int64(size))
		s.dropped.Add(uint64(len(bufs)))
	}
	return nil
}

// writeLoop writes queued batches, gathering what is waiting into one
// write, until the stream closes or a write fails.
func (s *stream) writeLoop() {
	defer s.writerWG.Done()
	buf := make([]byte, 0, maxWrite)
	take := func(b batch, now time.Time) {
		s.queued.Add(-int64(len(b.b)))
		if now.Sub(b.at) > maxQueueDelay {
			s.dropped.Add(uint64(b.packets))
			return
		}
		buf = append(buf, b.b...)
	}
	for {
		var b batch
		select {
		case b = <-s.queue:
		case <-s.done:
			return
		}
		now := time.Now()
		buf = buf[:0]
		take(b, now)
	gather:
		for len(buf) < maxWrite {
			select {
			case b = <-s.queue:
				take(b, now)
			default:
				break gather
			}
		}
		if len(buf) == 0 {
			continue
		}
		s.conn.SetWriteDeadline(now.Add(writeTimeout))
		if _, err := s.conn.Write(buf); err != nil {
			s.close()
			return
		}
	}
}

// maxBatch bounds the packets a reader hands over at once (the device's
// batch size).
const maxBatch = 128

// readLoop reads frames until the stream fails or closes, and returns why.
// Every frame already buffered is read before the batch goes to in, with
// ep as its endpoint; counted is told how many packets and bytes each
// batch held, and whether they were queued or dropped.
func (s *stream) readLoop(in *inbound, ep func() conn.Endpoint, counted func(packets, bytes int, queued bool)) error {
	buf := make([]byte, MaxFrame)
	var batch []inPacket
	bytes := 0
	flush := func() {
		if len(batch) > 0 {
			counted(len(batch), bytes, in.put(batch))
			batch, bytes = nil, 0
		}
	}
	for {
		if !s.r.ready() {
			flush() // before a read that may wait
			if s.idle > 0 {
				s.conn.SetReadDeadline(time.Now().Add(s.idle))
			}
		}
		n, err := s.r.next(buf)
		if err != nil {
			flush()
			s.close()
			return err
		}
		batch = append(batch, packet(buf[:n], ep()))
		bytes += n
		if len(batch) == maxBatch {
			flush()
		}
	}
}

// close closes the connection and stops the writer; it waits for the
// writer, never for the reader (which returns once the connection is
// closed).
func (s *stream) close() {
	s.closeOnce.Do(func() {
		close(s.done)
		s.conn.Close()
	})
}

func (s *stream) closeWait() {
	s.close()
	s.writerWG.Wait()
}
