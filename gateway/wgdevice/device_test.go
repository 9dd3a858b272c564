package wgdevice

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opensvpn/svpn/internal/leaktest"
	"github.com/opensvpn/svpn/wgkey"
)

var testPool = netip.MustParsePrefix("10.77.0.1/24")

func TestConfigErrors(t *testing.T) {
	priv := mustKey(t)
	good := Config{Mode: ModeNetstack, PrivateKey: priv, Address: testPool}
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no mode", func(c *Config) { c.Mode = "" }, "unknown mode"},
		{"bad mode", func(c *Config) { c.Mode = "kernel" }, "unknown mode"},
		{"no key", func(c *Config) { c.PrivateKey = wgkey.Private{} }, "no private key"},
		{"port", func(c *Config) { c.ListenPort = 70000 }, "out of range"},
		{"no address", func(c *Config) { c.Address = netip.Prefix{} }, "invalid tunnel address"},
		{"network address", func(c *Config) { c.Address = netip.MustParsePrefix("10.77.0.0/24") }, "host address"},
		{"single address", func(c *Config) { c.Address = netip.MustParsePrefix("10.77.0.1/32") }, "host address"},
		{"mtu", func(c *Config) { c.MTU = 576 }, "MTU"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.edit(&c)
			d, err := New(c)
			if err == nil {
				d.Close()
				t.Fatal("New succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
			if strings.Contains(err.Error(), priv.Base64Secret()) || strings.Contains(err.Error(), priv.UAPIHex()) {
				t.Fatal("error contains the private key")
			}
		})
	}
}

func TestListenPortInUse(t *testing.T) {
	pc, err := net.ListenPacket("udp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	port := pc.LocalAddr().(*net.UDPAddr).Port
	d, err := New(Config{Mode: ModeNetstack, PrivateKey: mustKey(t), Address: testPool, ListenPort: port})
	if err == nil {
		d.Close()
		t.Fatalf("New on busy port %d succeeded", port)
	}
}

func TestFixedListenPort(t *testing.T) {
	// Find a port that is free, then ask for it.
	pc, err := net.ListenPacket("udp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	pc.Close()
	d, err := New(Config{Mode: ModeNetstack, PrivateKey: mustKey(t), Address: testPool, ListenPort: port})
	if err != nil {
		t.Skipf("port %d was taken in between: %v", port, err)
	}
	defer d.Close()
	if d.ListenPort() != port {
		t.Fatalf("ListenPort() = %d, want %d", d.ListenPort(), port)
	}
}

func TestAddPeerValidation(t *testing.T) {
	gwPriv := mustKey(t)
	d, _ := newNetstackDevice(t, gwPriv, testPool)
	pub := mustKey(t).Public()
	for _, tc := range []struct {
		name string
		pub  wgkey.Public
		addr string
	}{
		{"zero key", wgkey.Public{}, "10.77.0.5"},
		{"own key", gwPriv.Public(), "10.77.0.5"},
		{"outside pool", pub, "10.78.0.5"},
		{"gateway address", pub, "10.77.0.1"},
		{"other family", pub, "fd00::5"},
		{"zone", pub, "fe80::1%eth0"},
		{"invalid", pub, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var addr netip.Addr
			if tc.addr != "" {
				addr = netip.MustParseAddr(tc.addr)
			}
			if err := d.AddPeer(tc.pub, addr); err == nil {
				t.Fatalf("AddPeer(%v, %v) succeeded", tc.pub, addr)
			}
		})
	}
	if peers, err := d.Peers(); err != nil || len(peers) != 0 {
		t.Fatalf("Peers() = %v, %v; want none", peers, err)
	}
}

func TestAddPeerReplaces(t *testing.T) {
	d, _ := newNetstackDevice(t, mustKey(t), testPool)
	a, b := mustKey(t).Public(), mustKey(t).Public()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(d.AddPeer(a, netip.MustParseAddr("10.77.0.5")))
	must(d.AddPeer(a, netip.MustParseAddr("10.77.0.6"))) // same key: new address replaces the old
	must(d.AddPeer(b, netip.MustParseAddr("10.77.0.7")))
	got := map[wgkey.Public]netip.Prefix{}
	peers, err := d.Peers()
	must(err)
	for _, p := range peers {
		got[p.PublicKey] = p.AllowedIP
		if !p.LastHandshake.IsZero() || p.Endpoint.IsValid() || p.RxBytes != 0 {
			t.Errorf("fresh peer has state: %+v", p)
		}
	}
	want := map[wgkey.Public]netip.Prefix{
		a: netip.MustParsePrefix("10.77.0.6/32"),
		b: netip.MustParsePrefix("10.77.0.7/32"),
	}
	if len(got) != len(want) || got[a] != want[a] || got[b] != want[b] {
		t.Fatalf("peers = %v, want %v", got, want)
	}
	must(d.RemovePeer(a))
	must(d.RemovePeer(a))
	must(d.RemovePeer(wgkey.Public{}))
	if peers, _ := d.Peers(); len(peers) != 1 || peers[0].PublicKey != b {
		t.Fatalf("after RemovePeer: %v", peers)
	}
}

func TestIPv6Pool(t *testing.T) {
	d, _ := newNetstackDevice(t, mustKey(t), netip.MustParsePrefix("fd00:77::1/64"))
	pub := mustKey(t).Public()
	if err := d.AddPeer(pub, netip.MustParseAddr("fd00:77::5")); err != nil {
		t.Fatal(err)
	}
	if p := findPeer(t, d, pub); p.AllowedIP != netip.MustParsePrefix("fd00:77::5/128") {
		t.Fatalf("AllowedIP = %v", p.AllowedIP)
	}
}

func TestClosed(t *testing.T) {
	d, err := New(Config{Mode: ModeNetstack, PrivateKey: mustKey(t), Address: testPool})
	if err != nil {
		t.Fatal(err)
	}
	port := d.ListenPort()
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := d.AddPeer(mustKey(t).Public(), netip.MustParseAddr("10.77.0.5")); !errors.Is(err, ErrClosed) {
		t.Fatalf("AddPeer after Close = %v, want ErrClosed", err)
	}
	if err := d.RemovePeer(mustKey(t).Public()); !errors.Is(err, ErrClosed) {
		t.Fatalf("RemovePeer after Close = %v, want ErrClosed", err)
	}
	if _, err := d.Peers(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Peers after Close = %v, want ErrClosed", err)
	}
	// The UDP port is free again.
	pc, err := net.ListenPacket("udp", fmt.Sprintf(":%d", port))
	if err != nil {
		t.Fatalf("port %d still held after Close: %v", port, err)
	}
	pc.Close()
}

// TestConcurrentPeers changes and reads peers from several goroutines; run
// with -race it checks the device's locking, and at the end every key that
// was added last and not removed must be present.
func TestConcurrentPeers(t *testing.T) {
	d, _ := newNetstackDevice(t, mustKey(t), testPool)
	const workers, perWorker = 4, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	keep := make([]wgkey.Public, workers)
	for w := range workers {
		keep[w] = mustKey(t).Public()
		wg.Go(func() {
			for i := range perWorker {
				k := mustKey(t).Public()
				addr := netip.AddrFrom4([4]byte{10, 77, 0, byte(2 + w*perWorker + i)})
				if err := d.AddPeer(k, addr); err != nil {
					errs <- err
					return
				}
				if _, err := d.Peers(); err != nil {
					errs <- err
					return
				}
				if err := d.RemovePeer(k); err != nil {
					errs <- err
					return
				}
			}
			if err := d.AddPeer(keep[w], netip.AddrFrom4([4]byte{10, 77, 0, byte(250 - w)})); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	peers, err := d.Peers()
	if err != nil {
		t.Fatal(err)
	}
	if len(peers) != workers {
		t.Fatalf("%d peers left, want %d", len(peers), workers)
	}
	for _, k := range keep {
		findPeer(t, d, k)
	}
}

// TestCloseStopsGoroutines checks that Close leaves no goroutine behind,
// peers' included.
func TestCloseStopsGoroutines(t *testing.T) {
	open := func() *Device {
		d, err := New(Config{Mode: ModeNetstack, PrivateKey: mustKey(t), Address: testPool})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	// A first device starts gVisor's process-wide workers, if any.
	open().Close()
	before := leaktest.Goroutines()

	d := open()
	for i := range 20 {
		if err := d.AddPeer(mustKey(t).Public(), netip.AddrFrom4([4]byte{10, 77, 0, byte(10 + i)})); err != nil {
			t.Fatal(err)
		}
	}
	if n := leaktest.Goroutines(); n <= before {
		t.Fatalf("goroutines: %d with a device open, %d before: the count tells nothing", n, before)
	}
	d.Close()
	leaktest.Wait(t, before, 5*time.Second)
}
