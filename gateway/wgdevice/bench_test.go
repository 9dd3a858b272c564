package wgdevice

import (
	"io"
	"log/slog"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/opensvpn/svpn/wgkey"
)

const benchPeers = 1000

// benchSetup returns a device with a /16 pool and n client keys with
// addresses in it.
func benchSetup(b *testing.B, n int) (*Device, []wgkey.Public, []netip.Addr) {
	b.Helper()
	d := newBenchDevice(b)
	b.Cleanup(func() { d.Close() })
	keys := make([]wgkey.Public, n)
	addrs := make([]netip.Addr, n)
	for i := range keys {
		keys[i] = mustKey(b).Public()
		addrs[i] = netip.AddrFrom4([4]byte{10, 77, byte((i + 2) >> 8), byte(i + 2)})
	}
	return d, keys, addrs
}

// newBenchDevice is a netstack device with a /16 pool, logging at Info as
// the gateway does (cmd/svpn-gateway): the tests' Debug log would add its
// own buffer and formatting to what is measured.
func newBenchDevice(b *testing.B) *Device {
	d, err := New(Config{Mode: ModeNetstack, PrivateKey: mustKey(b), Address: netip.MustParsePrefix("10.77.0.1/16"),
		Logger: slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// BenchmarkAddRemovePeers1000 measures one login wave and its logouts:
// 1,000 AddPeer calls, then 1,000 RemovePeer calls.
func BenchmarkAddRemovePeers1000(b *testing.B) {
	d, keys, addrs := benchSetup(b, benchPeers)
	b.ReportAllocs()
	for b.Loop() {
		for i, k := range keys {
			if err := d.AddPeer(k, addrs[i]); err != nil {
				b.Fatal(err)
			}
		}
		for _, k := range keys {
			if err := d.RemovePeer(k); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchPeers), "ns/peer")
}

// BenchmarkPeerMemory reports what 1,000 idle peers cost: heap (HeapAlloc)
// and goroutine stacks (StackInuse; wireguard-go runs two goroutines per
// peer), both per peer, measured after a GC on either side. Each round has
// a device of its own: removed peers are freed only after their queues'
// finalizers ran, which would fall into the next round's measurement.
// (BenchmarkSessionMemory in package gateway measures whole sessions.)
func BenchmarkPeerMemory(b *testing.B) {
	_, keys, addrs := benchSetup(b, benchPeers)
	var heap, stack float64
	for b.Loop() {
		b.StopTimer()
		d := newBenchDevice(b)
		b.StartTimer()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for i, k := range keys {
			if err := d.AddPeer(k, addrs[i]); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap += float64(after.HeapAlloc) - float64(before.HeapAlloc)
		stack += float64(after.StackInuse) - float64(before.StackInuse)
		b.StopTimer()
		d.Close()
		settle()
		b.StartTimer()
	}
	b.ReportMetric(heap/float64(b.N*benchPeers), "bytes/peer")
	b.ReportMetric(stack/float64(b.N*benchPeers), "stack-bytes/peer")
	b.ReportMetric(0, "ns/op")
}

// settle lets finalizers run and frees what they released, so that a closed
// device is gone before the next measurement starts.
func settle() {
	for range 3 {
		runtime.GC()
		time.Sleep(20 * time.Millisecond)
	}
}
