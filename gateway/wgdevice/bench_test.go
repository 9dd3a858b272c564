package wgdevice

import (
	"net/netip"
	"runtime"
	"testing"

	"github.com/opensvpn/svpn/wgkey"
)

const benchPeers = 1000

// benchSetup returns a device with a /16 pool and n client keys with
// addresses in it.
func benchSetup(b *testing.B, n int) (*Device, []wgkey.Public, []netip.Addr) {
	b.Helper()
	d, _ := newNetstackDevice(b, mustKey(b), netip.MustParsePrefix("10.77.0.1/16"))
	keys := make([]wgkey.Public, n)
	addrs := make([]netip.Addr, n)
	for i := range keys {
		keys[i] = mustKey(b).Public()
		addrs[i] = netip.AddrFrom4([4]byte{10, 77, byte((i + 2) >> 8), byte(i + 2)})
	}
	return d, keys, addrs
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
// peer), both per peer, measured after a GC on either side.
func BenchmarkPeerMemory(b *testing.B) {
	d, keys, addrs := benchSetup(b, benchPeers)
	var heap, stack float64
	for b.Loop() {
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
		for _, k := range keys {
			if err := d.RemovePeer(k); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
	}
	b.ReportMetric(heap/float64(b.N*benchPeers), "bytes/peer")
	b.ReportMetric(stack/float64(b.N*benchPeers), "stack-bytes/peer")
	b.ReportMetric(0, "ns/op")
}
