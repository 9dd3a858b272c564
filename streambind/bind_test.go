package streambind

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/tun/netstack"

	"github.com/opensvpn/svpn/wgkey"
)

// pair is a gateway device on a Server bind and a client device on a Client
// bind, both on netstack, with the stream listener the test serves.
type pair struct {
	srv      *Server
	cli      *Client
	gwNet    *netstack.Net
	cliNet   *netstack.Net
	gwDev    *device.Device
	cliDev   *device.Device
	ln       net.Listener
	udpPort  int
	accepted chan *ServerStream
	cliPub   wgkey.Public
	port     uint16 // the next echo port
}

var (
	gwAddr  = netip.MustParseAddr("10.99.0.1")
	cliAddr = netip.MustParseAddr("10.99.0.2")
)

func newPair(t *testing.T, start Transport, udpEndpoint func(realPort int) netip.AddrPort) *pair {
	t.Helper()
	p := &pair{accepted: make(chan *ServerStream, 16)}
	gwKey, _ := wgkey.NewPrivate()
	cliKey, _ := wgkey.NewPrivate()
	p.cliPub = cliKey.Public()
	gwTun, gwNet, err := netstack.CreateNetTUN([]netip.Addr{gwAddr}, nil, 1420)
	if err != nil {
		t.Fatal(err)
	}
	p.gwNet = gwNet
	p.srv = NewServer(conn.NewDefaultBind(), ServerOptions{})
	p.gwDev = device.NewDevice(gwTun, p.srv, device.NewLogger(device.LogLevelSilent, ""))
	if err := p.gwDev.IpcSet(fmt.Sprintf("private_key=%s\nlisten_port=0\npublic_key=%s\nallowed_ip=%s/32\n",
		gwKey.UAPIHex(), cliKey.Public().Hex(), cliAddr)); err != nil {
		t.Fatal(err)
	}
	if err := p.gwDev.Up(); err != nil {
		t.Fatal(err)
	}
	get, _ := p.gwDev.IpcGet()
	for line := range strings.SplitSeq(get, "\n") {
		if v, ok := strings.CutPrefix(line, "listen_port="); ok {
			fmt.Sscan(v, &p.udpPort)
		}
	}
	p.ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := p.ln.Accept()
			if err != nil {
				return
			}
			ss, err := p.srv.Accept(c, nil)
			if err != nil {
				c.Close()
				continue
			}
			p.accepted <- ss
		}
	}()
	cliTun, cliNet, err := netstack.CreateNetTUN([]netip.Addr{cliAddr}, nil, 1420)
	if err != nil {
		t.Fatal(err)
	}
	p.cliNet = cliNet
	addr := p.ln.Addr().String()
	p.cli = NewClient(conn.NewDefaultBind(), start, ClientOptions{Dial: func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}})
	p.cliDev = device.NewDevice(cliTun, p.cli, device.NewLogger(device.LogLevelSilent, ""))
	ep := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(p.udpPort))
	if udpEndpoint != nil {
		ep = udpEndpoint(p.udpPort)
	}
	if err := p.cliDev.IpcSet(fmt.Sprintf("private_key=%s\nlisten_port=0\npublic_key=%s\nendpoint=%s\npersistent_keepalive_interval=1\nallowed_ip=%s/32\n",
		cliKey.UAPIHex(), gwKey.Public().Hex(), ep, gwAddr)); err != nil {
		t.Fatal(err)
	}
	if err := p.cliDev.Up(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.cliDev.Close()
		p.ln.Close()
		wg.Wait()
		p.gwDev.Close()
	})
	return p
}

// echo serves an echo on the gateway side and checks a round trip from the
// client through the tunnel.
func (p *pair) roundTrip(t *testing.T, payload string) {
	t.Helper()
	p.port++
	at := netip.AddrPortFrom(gwAddr, 7000+p.port)
	ln, err := p.gwNet.ListenTCPAddrPort(at)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(c, c)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := p.cliNet.DialContext(ctx, "tcp", at.String())
	if err != nil {
		t.Fatalf("dialling through the tunnel: %v", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(15 * time.Second))
	if _, err := io.WriteString(c, payload); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(payload))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != payload {
		t.Fatalf("echo: %q, %v", got, err)
	}
}

// TestTCPCarriesTheTunnel: with the transport TCP the handshake and the
// traffic go over the stream, and the gateway's UDP socket sees nothing.
func TestTCPCarriesTheTunnel(t *testing.T) {
	p := newPair(t, TCP, nil)
	p.roundTrip(t, strings.Repeat("svpn over tcp ", 5000))
	st := p.srv.Stats()
	if st.TCP.RxPackets == 0 || st.TCP.TxPackets == 0 {
		t.Fatalf("nothing crossed the stream: %+v", st)
	}
	if st.UDP.RxPackets != 0 {
		t.Fatalf("the gateway received %d UDP packets on transport tcp", st.UDP.RxPackets)
	}
	if st.Streams != 1 {
		t.Fatalf("%d streams open, want 1", st.Streams)
	}
}

// TestSwitchBothWays starts on UDP, moves to TCP and back, with traffic
// working after each move and no new handshake needed.
func TestSwitchBothWays(t *testing.T) {
	p := newPair(t, UDP, nil)
	p.roundTrip(t, "over udp")
	before := p.srv.Stats()
	p.cli.SetTransport(TCP, 0)
	waitFor(t, "stream up", p.cli.Connected)
	p.roundTrip(t, "now over tcp")
	mid := p.srv.Stats()
	if mid.TCP.RxPackets == before.TCP.RxPackets {
		t.Fatal("the stream carried nothing after the switch to TCP")
	}
	p.cli.SetTransport(UDP, 100*time.Millisecond)
	waitFor(t, "stream closed", func() bool { return p.srv.Stats().Streams == 0 })
	p.roundTrip(t, "back on udp")
	if after := p.srv.Stats(); after.UDP.RxPackets == mid.UDP.RxPackets {
		t.Fatal("nothing came over UDP after the switch back")
	}
}

// TestProbeUDP: the gateway answers a probe; a blackholed endpoint does not.
func TestProbeUDP(t *testing.T) {
	p := newPair(t, TCP, nil)
	p.roundTrip(t, "warm up") // the device has sent: the endpoint is known
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := p.cli.ProbeUDP(ctx); err != nil {
		t.Fatalf("probe of a working UDP path: %v", err)
	}
	if p.srv.Stats().ProbesAnswered == 0 {
		t.Fatal("the gateway counted no probe")
	}

	hole, err := net.ListenPacket("udp", "127.0.0.1:0") // reads nothing, answers nothing
	if err != nil {
		t.Fatal(err)
	}
	defer hole.Close()
	q := newPair(t, TCP, func(int) netip.AddrPort { return netip.MustParseAddrPort(hole.LocalAddr().String()) })
	q.roundTrip(t, "warm up")
	ctx2, cancel2 := context.WithTimeout(context.Background(), 800*time.Millisecond)
	defer cancel2()
	if err := q.cli.ProbeUDP(ctx2); err == nil {
		t.Fatal("a probe into a blackhole succeeded")
	}
}

// TestProbeIsNoAmplifier: the gateway answers only well-formed probes, with
// a reply smaller than the request, and no more than ProbeRate per second.
func TestProbeIsNoAmplifier(t *testing.T) {
	var nonce [probeNonceLen]byte
	req := probeRequest(nonce)
	reply, ok := probeAnswer(req)
	if !ok || 3*len(reply) > len(req) {
		t.Fatalf("reply of %d bytes to a %d-byte request", len(reply), len(req))
	}
	for _, bad := range [][]byte{req[:len(req)-1], append(append([]byte{}, req...), 0), append([]byte{0xf2}, req[1:]...)} {
		if _, ok := probeAnswer(bad); ok {
			t.Fatalf("answered a malformed probe of %d bytes", len(bad))
		}
	}
	if _, ok := probeReplyNonce(reply); !ok {
		t.Fatal("the client does not recognise the reply")
	}

	p := newPair(t, UDP, nil)
	p.srv.probe.SetLimit(0)
	p.srv.probe.SetBurst(3)
	c, err := net.Dial("udp", fmt.Sprintf("127.0.0.1:%d", p.udpPort))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for range 20 {
		c.Write(req)
	}
	got := 0
	buf := make([]byte, 100)
	for {
		c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		if _, err := c.Read(buf); err != nil {
			break
		}
		got++
	}
	if got != 3 {
		t.Fatalf("%d answers to 20 probes with a burst of 3", got)
	}
}

// TestMaxStreams: Accept refuses beyond the limit, and a closed bind
// refuses everything.
func TestMaxStreams(t *testing.T) {
	s := NewServer(conn.NewDefaultBind(), ServerOptions{MaxStreams: 2})
	if _, err := s.Accept(pipeConn(t), nil); err != ErrClosed {
		t.Fatalf("Accept before Open: %v", err)
	}
	fns, _, err := s.Open(0)
	if err != nil {
		t.Fatal(err)
	}
	_ = fns
	for i := range 2 {
		if _, err := s.Accept(pipeConn(t), nil); err != nil {
			t.Fatalf("stream %d: %v", i, err)
		}
	}
	if _, err := s.Accept(pipeConn(t), nil); err != ErrTooManyStreams {
		t.Fatalf("third stream: %v", err)
	}
	s.Close()
	if n := s.Stats().Streams; n != 0 {
		t.Fatalf("%d streams after Close", n)
	}
}

// TestBadFrameClosesStream: a stream that is not frames is closed, and
// the device's ReceiveFunc gets nothing from it.
func TestBadFrameClosesStream(t *testing.T) {
	s := NewServer(conn.NewDefaultBind(), ServerOptions{})
	if _, _, err := s.Open(0); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, b := net.Pipe()
	ss, err := s.Accept(a, nil)
	if err != nil {
		t.Fatal(err)
	}
	go b.Write([]byte{0, 3, 1, 2, 3})
	select {
	case <-ss.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a malformed stream stayed open")
	}
	if st := s.Stats(); st.TCP.RxPackets != 0 {
		t.Fatalf("a malformed frame was delivered: %+v", st)
	}
}

// TestIdleStreamCloses: a stream that carries nothing is closed after
// IdleTimeout.
func TestIdleStreamCloses(t *testing.T) {
	s := NewServer(conn.NewDefaultBind(), ServerOptions{IdleTimeout: 100 * time.Millisecond})
	if _, _, err := s.Open(0); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ss, err := s.Accept(pipeConn(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-ss.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("an idle stream stayed open")
	}
}

// TestSendQueueDrops: a peer that reads nothing makes the queue drop, not
// grow, and Send never blocks.
func TestSendQueueDrops(t *testing.T) {
	a, b := net.Pipe() // b never reads: every write blocks
	defer b.Close()
	st := newStream(a, nil, 16<<10, 0)
	defer st.closeWait()
	pkt := make([][]byte, 1)
	pkt[0] = make([]byte, 1400)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 1000 {
			st.send(pkt)
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("send blocked on a stalled stream")
	}
	if st.dropped.Load() < 900 {
		t.Fatalf("only %d of 1000 packets dropped with a 16 KiB queue", st.dropped.Load())
	}
	if q := st.queued.Load(); q > 16<<10 {
		t.Fatalf("%d bytes queued beyond the 16 KiB bound", q)
	}
}

func pipeConn(t *testing.T) net.Conn {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return a
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestPendingIsBounded: while the stream is being dialled the client keeps
// at most maxPending packets, and none older than maxPendingAge reaches
// the stream.
func TestPendingIsBounded(t *testing.T) {
	release := make(chan struct{})
	c := NewClient(conn.NewDefaultBind(), TCP, ClientOptions{Dial: func(ctx context.Context) (net.Conn, error) {
		<-release
		return nil, context.Canceled
	}})
	if _, _, err := c.Open(0); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	defer close(release)
	ep, _ := c.ParseEndpoint("127.0.0.1:9")
	for range 100 {
		c.Send([][]byte{make([]byte, 64)}, ep)
	}
	c.mu.Lock()
	n := len(c.pending)
	c.pending[0].at = time.Now().Add(-time.Hour)
	c.mu.Unlock()
	if n != maxPending || c.Stats().Dropped != 100-maxPending {
		t.Fatalf("%d pending, %d dropped", n, c.Stats().Dropped)
	}
	a, b := net.Pipe()
	defer b.Close()
	s := newStream(a, nil, 0, 0)
	defer s.closeWait()
	c.mu.Lock()
	c.flushPendingLocked(s)
	c.mu.Unlock()
	if got := s.txPackets.Load(); got != maxPending-1 {
		t.Fatalf("%d packets flushed, want %d (the old one dropped)", got, maxPending-1)
	}
}

// TestStaleBatchesDropped: what waited in the queue beyond maxQueueDelay is
// dropped, not written late; fresh frames are written.
func TestStaleBatchesDropped(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	st := newStream(a, nil, 0, 0)
	defer st.closeWait()
	stale, _ := appendFrame(nil, make([]byte, 100))
	st.queued.Add(int64(len(stale)))
	st.queue <- batch{b: stale, packets: 1, at: time.Now().Add(-time.Second)}
	if err := st.send([][]byte{bytes.Repeat([]byte{9}, 40)}); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 42)
	b.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(b, got); err != nil {
		t.Fatal(err)
	}
	if got[0] != 0 || got[1] != 40 || got[2] != 9 {
		t.Fatalf("first bytes written: % x, want the fresh frame", got[:4])
	}
	if st.dropped.Load() != 1 {
		t.Fatalf("%d dropped, want the stale one", st.dropped.Load())
	}
}

// TestAcceptClearsDeadlines: the HTTP server's request deadlines must not
// end a stream: the stream sets its own before each read and write.
func TestAcceptClearsDeadlines(t *testing.T) {
	s := NewServer(conn.NewDefaultBind(), ServerOptions{})
	fns, _, err := s.Open(0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cli, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	srv, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	srv.SetDeadline(time.Now().Add(-time.Second)) // as a request timeout that passed
	if _, err := s.Accept(srv, nil); err != nil {
		t.Fatal(err)
	}
	frame, _ := appendFrame(nil, bytes.Repeat([]byte{4}, 64))
	cli.Write(frame)
	recv := fns[len(fns)-1]
	bufs, sizes, eps := [][]byte{make([]byte, MaxFrame)}, make([]int, 1), make([]conn.Endpoint, 1)
	done := make(chan int, 1)
	go func() { n, _ := recv(bufs, sizes, eps); done <- n }()
	select {
	case n := <-done:
		if n != 1 || sizes[0] != 64 {
			t.Fatalf("received %d packets, size %d", n, sizes[0])
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a stream accepted past its deadline delivered nothing")
	}
}

// TestInboundBounded: beyond inboundSlots queued packets, batches are
// dropped (their buffers returned), and the ReceiveFunc hands out what was
// queued in order, at most len(bufs) at a time.
func TestInboundBounded(t *testing.T) {
	q := newInbound()
	ep := streamEP
	mk := func(n int, b byte) []inPacket {
		var batch []inPacket
		for range n {
			batch = append(batch, packet(bytes.Repeat([]byte{b}, 40), ep))
		}
		return batch
	}
	if !q.put(mk(inboundSlots-10, 1)) {
		t.Fatal("a batch within the bound was dropped")
	}
	if q.put(mk(11, 2)) {
		t.Fatal("a batch beyond the bound was queued")
	}
	if !q.put(mk(10, 3)) {
		t.Fatal("a batch that fits exactly was dropped")
	}
	bufs := make([][]byte, 128)
	for i := range bufs {
		bufs[i] = make([]byte, 100)
	}
	sizes, eps := make([]int, 128), make([]conn.Endpoint, 128)
	total := 0
	for total < inboundSlots {
		n, err := q.receive(bufs, sizes, eps)
		if err != nil || n == 0 || n > 128 {
			t.Fatalf("receive: %d, %v", n, err)
		}
		for i := range n {
			want := byte(1)
			if total+i >= inboundSlots-10 {
				want = 3
			}
			if sizes[i] != 40 || bufs[i][0] != want {
				t.Fatalf("packet %d: %d bytes of %d, want 40 of %d", total+i, sizes[i], bufs[i][0], want)
			}
		}
		total += n
	}
	q.close()
	if _, err := q.receive(bufs, sizes, eps); err != net.ErrClosed {
		t.Fatalf("after close: %v", err)
	}
}
