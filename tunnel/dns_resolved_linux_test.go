//go:build linux

package tunnel

import (
	"log/slog"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/godbus/dbus/v5"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/opensvpn/svpn/internal/dbustest"
)

// fakeResolved plays systemd-resolved's per-link methods on a private bus
// and records each call. It offers nothing else: a global setting (SetDNS
// on the manager, a changed resolved.conf) would fail the call, and so the
// test.
type fakeResolved struct {
	mu    sync.Mutex
	calls []string
	links []int32
}

func (f *fakeResolved) record(m string, idx int32) *dbus.Error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls, f.links = append(f.calls, m), append(f.links, idx)
	return nil
}

func (f *fakeResolved) SetLinkDNS(idx int32, _ []resolvedAddr) *dbus.Error {
	return f.record("SetLinkDNS", idx)
}
func (f *fakeResolved) SetLinkDomains(idx int32, _ []resolvedDomain) *dbus.Error {
	return f.record("SetLinkDomains", idx)
}
func (f *fakeResolved) SetLinkDefaultRoute(idx int32, _ bool) *dbus.Error {
	return f.record("SetLinkDefaultRoute", idx)
}
func (f *fakeResolved) RevertLink(idx int32) *dbus.Error { return f.record("RevertLink", idx) }

func (f *fakeResolved) take() ([]string, []int32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, l := f.calls, f.links
	f.calls, f.links = nil, nil
	return c, l
}

// TestResolvedCrashPath: what svpnd gives systemd-resolved is the tunnel
// link's own settings, nothing global; a crash takes the link (and with it
// resolved's settings) away, and the recovery at the next start then has
// nothing to revert and asks resolved for nothing. A link that survived is
// reverted.
func TestResolvedCrashPath(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for a network namespace with a link of its own")
	}
	addr := dbustest.Start(t)
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", addr)
	bus, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Close()
	fake := &fakeResolved{}
	if err := bus.Export(fake, resolvedPath, "org.freedesktop.resolve1.Manager"); err != nil {
		t.Fatal(err)
	}
	if reply, err := bus.RequestName(resolvedName, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("owning %s: %v %v", resolvedName, reply, err)
	}

	// A namespace of the test's own, for the link.
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		t.Fatal(err)
	}
	ns, err := netns.New()
	netns.Set(orig)
	runtime.UnlockOSThread()
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	defer orig.Close()
	nl, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer nl.Close()
	h := &linuxHost{nl: nl, log: slog.New(slog.DiscardHandler)}
	const name = "svpnrt0"
	up := func() int32 {
		t.Helper()
		if err := nl.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: name}, PeerName: name + "p"}); err != nil {
			t.Fatal(err)
		}
		l, err := nl.LinkByName(name)
		if err != nil {
			t.Fatal(err)
		}
		return int32(l.Attrs().Index)
	}
	if err := resolvedRunning(); err != nil {
		t.Fatal(err)
	}

	idx := up()
	st := dnsState{Method: dnsResolved, Interface: name}
	servers, domains := []netip.Addr{netip.MustParseAddr("10.77.0.1")}, []string{"example.go.kr"}
	if err := h.setDNS(st, servers, domains); err != nil {
		t.Fatal(err)
	}
	calls, links := fake.take()
	if !slices.Equal(calls, []string{"SetLinkDNS", "SetLinkDomains", "SetLinkDefaultRoute"}) || slices.ContainsFunc(links, func(i int32) bool { return i != idx }) {
		t.Fatalf("calls %v on links %v, want the tunnel link %d's own settings only", calls, links, idx)
	}

	// svpnd is killed: the kernel removes its TUN, resolved forgets the
	// link. The next start's recovery asks resolved for nothing.
	l, _ := nl.LinkByName(name)
	if err := nl.LinkDel(l); err != nil {
		t.Fatal(err)
	}
	if err := h.revertDNS(st); err != nil {
		t.Fatalf("recovery after the link went: %v", err)
	}
	if calls, _ := fake.take(); len(calls) != 0 {
		t.Fatalf("recovery called %v for a link that is gone", calls)
	}

	// A link that is still there (svpnd stopped without closing it) is
	// reverted, by its own index.
	idx = up()
	if err := h.revertDNS(st); err != nil {
		t.Fatal(err)
	}
	if calls, links := fake.take(); !slices.Equal(calls, []string{"RevertLink"}) || links[0] != idx {
		t.Fatalf("revert: %v on %v, want RevertLink on %d", calls, links, idx)
	}
}
