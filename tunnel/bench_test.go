package tunnel

import (
	"context"
	"encoding/binary"
	"io"
	"net/netip"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/tun/netstack"
)

// BenchmarkUserspaceThroughput measures TCP through the userspace tunnel
// in one process: client netstack → WireGuard → loopback UDP → WireGuard →
// gateway netstack, which counts what arrives. Both ends encrypt and run
// a gVisor TCP stack on the same cores, so it is a floor for what one
// client gets, not a figure to compare with kernel WireGuard.
func BenchmarkUserspaceThroughput(b *testing.B) {
	priv := mustKey(b)
	gw := startGateway(b, priv.Public())
	stop := serveSink(b, gw.net, netip.AddrPortFrom(gwAddr, 9))
	defer stop()
	u, err := NewUserspace(clientConfig(priv, gw, gw.endpoint()), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer u.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := u.DialContext(ctx, "tcp", "10.77.0.1:9")
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()

	const chunk = 64 << 10
	buf := make([]byte, chunk)
	b.SetBytes(chunk)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if _, err := c.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	// Count only what arrived: the sink answers with its total at EOF.
	c.(interface{ CloseWrite() error }).CloseWrite()
	var total uint64
	if err := binary.Read(c, binary.BigEndian, &total); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	if want := uint64(b.N) * chunk; total != want {
		b.Fatalf("gateway received %d bytes, want %d", total, want)
	}
	b.ReportMetric(float64(total)*8/elapsed.Seconds()/1e6, "Mbit/s")
}

// serveSink accepts one connection at a time at addr inside the gateway's
// netstack, reads it to EOF and answers with the byte count.
func serveSink(b *testing.B, tnet *netstack.Net, addr netip.AddrPort) (stop func()) {
	ln, err := tnet.ListenTCPAddrPort(addr)
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n, _ := io.Copy(io.Discard, c)
			binary.Write(c, binary.BigEndian, uint64(n))
			c.Close()
		}
	}()
	return func() {
		ln.Close()
		<-done
	}
}
