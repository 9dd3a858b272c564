package streambind

import (
	"net"
	"sync"
	"sync/atomic"

	"golang.zx2c4.com/wireguard/conn"
)

// inboundSlots bounds the packets read from streams and not yet taken by
// the device; beyond it they are dropped, as a full UDP socket drops.
const inboundSlots = 2048

// smallPacket is the buffer size that holds every packet of a 1500-byte
// path; larger ones are allocated as they come.
const smallPacket = 2048

var packetPool = sync.Pool{New: func() any { b := make([]byte, smallPacket); return &b }}

type inPacket struct {
	buf *[]byte
	n   int
	ep  conn.Endpoint
}

// inbound is the queue between the stream readers and the Bind's
// ReceiveFunc. Readers hand over batches (every frame a read brought in),
// so the device gets batches too, as from UDP's recvmmsg: it decrypts and
// writes to the TUN a batch at a time, which is most of its speed. A new
// inbound is made at each Open; close makes the ReceiveFunc return
// net.ErrClosed, as conn.Bind requires.
type inbound struct {
	ch     chan []inPacket
	closed chan struct{}
	once   sync.Once
	queued atomic.Int64 // packets in ch

	rest []inPacket // what the ReceiveFunc took and has not returned yet; its own
}

func newInbound() *inbound {
	return &inbound{ch: make(chan []inPacket, inboundSlots), closed: make(chan struct{})}
}

func (q *inbound) close() { q.once.Do(func() { close(q.closed) }) }

// packet copies pkt into a pooled buffer.
func packet(pkt []byte, ep conn.Endpoint) inPacket {
	var bp *[]byte
	if len(pkt) <= smallPacket {
		bp = packetPool.Get().(*[]byte)
	} else {
		b := make([]byte, len(pkt))
		bp = &b
	}
	return inPacket{buf: bp, n: copy(*bp, pkt), ep: ep}
}

// put queues batch; it reports false when the queue is full or closed and
// the batch was dropped.
func (q *inbound) put(batch []inPacket) bool {
	if len(batch) == 0 {
		return true
	}
	if q.queued.Add(int64(len(batch))) <= inboundSlots {
		select {
		case <-q.closed:
		case q.ch <- batch:
			return true
		default:
		}
	}
	q.queued.Add(-int64(len(batch)))
	for _, p := range batch {
		release(p.buf)
	}
	return false
}

func release(bp *[]byte) {
	if cap(*bp) == smallPacket {
		packetPool.Put(bp)
	}
}

// receive is the conn.ReceiveFunc of the streams: it waits for a batch and
// takes whatever else is already queued, up to len(bufs). wireguard-go
// calls each ReceiveFunc from one goroutine, so rest needs no lock.
func (q *inbound) receive(bufs [][]byte, sizes []int, eps []conn.Endpoint) (int, error) {
	if len(q.rest) == 0 {
		select {
		case q.rest = <-q.ch:
			q.queued.Add(-int64(len(q.rest)))
		case <-q.closed:
			return 0, net.ErrClosed
		}
	}
	n := 0
	for n < len(bufs) {
		if len(q.rest) == 0 {
			select {
			case q.rest = <-q.ch:
				q.queued.Add(-int64(len(q.rest)))
				continue
			default:
				return n, nil
			}
		}
		p := q.rest[0]
		q.rest = q.rest[1:]
		sizes[n] = copy(bufs[n], (*p.buf)[:p.n])
		eps[n] = p.ep
		release(p.buf)
		n++
	}
	return n, nil
}
