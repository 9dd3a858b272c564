package streambind

import (
	"net"
	"sync"

	"golang.zx2c4.com/wireguard/conn"
)

// inboundSlots bounds the packets read from streams and not yet taken by
// the device; beyond it they are dropped, as a full UDP socket drops.
const inboundSlots = 1024

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
// ReceiveFunc. A new one is made at each Open; close makes the ReceiveFunc
// return net.ErrClosed, as conn.Bind requires.
type inbound struct {
	ch     chan inPacket
	closed chan struct{}
	once   sync.Once
}

func newInbound() *inbound {
	return &inbound{ch: make(chan inPacket, inboundSlots), closed: make(chan struct{})}
}

func (q *inbound) close() { q.once.Do(func() { close(q.closed) }) }

// put copies pkt into the queue; it reports false when the queue is full
// or closed and the packet was dropped.
func (q *inbound) put(pkt []byte, ep conn.Endpoint) bool {
	var bp *[]byte
	if len(pkt) <= smallPacket {
		bp = packetPool.Get().(*[]byte)
	} else {
		b := make([]byte, len(pkt))
		bp = &b
	}
	n := copy(*bp, pkt)
	select {
	case <-q.closed:
	case q.ch <- inPacket{buf: bp, n: n, ep: ep}:
		return true
	default:
	}
	release(bp)
	return false
}

func release(bp *[]byte) {
	if cap(*bp) == smallPacket {
		packetPool.Put(bp)
	}
}

// receive is the conn.ReceiveFunc of the streams: it waits for one packet
// and takes whatever else is already queued, up to len(bufs).
func (q *inbound) receive(bufs [][]byte, sizes []int, eps []conn.Endpoint) (int, error) {
	var p inPacket
	select {
	case p = <-q.ch:
	case <-q.closed:
		return 0, net.ErrClosed
	}
	n := 0
	for {
		sizes[n] = copy(bufs[n], (*p.buf)[:p.n])
		eps[n] = p.ep
		release(p.buf)
		n++
		if n == len(bufs) {
			return n, nil
		}
		select {
		case p = <-q.ch:
		default:
			return n, nil
		}
	}
}
