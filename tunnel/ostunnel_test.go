package tunnel

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.zx2c4.com/wireguard/tun"
	"golang.zx2c4.com/wireguard/tun/netstack"

	"github.com/opensvpn/svpn/api"
)

// fakeHost records what OSTunnel asks of the OS, so the sequencing, the
// rollback and the state-file bookkeeping are tested on every OS and
// without root. The Linux namespace test runs the same logic for real.
type fakeHost struct {
	t        *testing.T
	stateDir string
	ops      []string
	routes   map[netip.Prefix]route // what the "kernel" has
	links    map[string]bool
	dnsSet   bool
	physical route // what routeTo answers outside the tunnel
	failDel  error // delRoute fails with it while non-nil
}

func newFakeHost(t *testing.T, dir string) *fakeHost {
	return &fakeHost{
		t: t, stateDir: dir,
		routes:   map[netip.Prefix]route{},
		links:    map[string]bool{},
		physical: route{Gateway: netip.MustParseAddr("192.168.0.1"), Interface: "eth0"},
	}
}

func (h *fakeHost) open(*slog.Logger) (host, error) { return h, nil }

func (h *fakeHost) op(format string, args ...any) {
	h.ops = append(h.ops, fmt.Sprintf(format, args...))
}

func (h *fakeHost) createTUN(name string, mtu int) (tun.Device, string, error) {
	// Before anything changes, the state file must say what will.
	st, err := readState(h.stateDir)
	if err != nil || st == nil || st.Interface != name {
		h.t.Errorf("createTUN before the state file describes it: %+v, %v", st, err)
	}
	h.op("createTUN %s", name)
	dev, _, err := netstack.CreateNetTUN([]netip.Addr{clientAddr.Addr()}, nil, mtu)
	if err != nil {
		return nil, "", err
	}
	h.links[name] = true
	return &closeNotify{Device: dev, closed: func() { delete(h.links, name); h.dropRoutes(name) }}, name, nil
}

// closeNotify tells the fake kernel that the TUN went, taking its routes.
type closeNotify struct {
	tun.Device
	closed func()
}

func (c *closeNotify) Close() error {
	c.closed()
	return c.Device.Close()
}

func (h *fakeHost) dropRoutes(ifname string) {
	for p, r := range h.routes {
		if r.Interface == ifname {
			delete(h.routes, p)
		}
	}
}

func (h *fakeHost) addAddress(ifname string, addr netip.Prefix) error {
	h.op("addAddress %s %v", ifname, addr)
	return nil
}

func (h *fakeHost) routeTo(dst netip.Addr, avoid string) (route, error) {
	h.op("routeTo %v avoid=%s", dst, avoid)
	return h.physical, nil
}

func (h *fakeHost) addRoute(r route) error {
	h.op("addRoute %v %s", r.Dst, r.Interface)
	if _, ok := h.routes[r.Dst]; ok {
		return errRouteExists
	}
	h.routes[r.Dst] = r
	return nil
}

func (h *fakeHost) delRoute(r route) error {
	h.op("delRoute %v %s", r.Dst, r.Interface)
	if h.failDel != nil {
		return h.failDel
	}
	if have, ok := h.routes[r.Dst]; ok && have.Interface == r.Interface {
		delete(h.routes, r.Dst)
	}
	return nil
}

func (h *fakeHost) removeLink(ifname string) error {
	h.op("removeLink %s", ifname)
	delete(h.links, ifname)
	return nil
}

func (h *fakeHost) planDNS(ifname, stateDir string, cfg Config) (dnsState, error) {
	return dnsState{Method: "fake", Interface: ifname}, api.Errorf(api.CodeTunnelDNSFallback, "fake fallback")
}

func (h *fakeHost) setDNS(st dnsState, servers []netip.Addr, domains []string) error {
	h.op("setDNS %v %v", servers, domains)
	h.dnsSet = true
	return nil
}

func (h *fakeHost) revertDNS(st dnsState) error {
	h.op("revertDNS")
	h.dnsSet = false
	return nil
}

func (h *fakeHost) close() error { return nil }

// osTestConfig is a tunnel whose endpoint a pushed route covers when
// coverEndpoint is set.
func osTestConfig(t *testing.T, coverEndpoint bool) Config {
	cfg := Config{
		PrivateKey:      mustKey(t),
		Address:         clientAddr,
		ServerPublicKey: mustKey(t).Public(),
		Endpoint:        netip.MustParseAddrPort("203.0.113.10:51820"),
		Routes:          []netip.Prefix{tunnelNet},
		DNS:             []netip.Addr{gwDNS},
		SearchDomains:   []string{searchDomain},
	}
	if coverEndpoint {
		cfg.Routes = append(cfg.Routes, netip.MustParsePrefix("203.0.113.0/24"))
	}
	return cfg
}

func TestOSTunnelSequence(t *testing.T) {
	dir := t.TempDir()
	h := newFakeHost(t, dir)
	tn, err := newOS(osTestConfig(t, true), OSOptions{StateDir: dir}, h.open)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"routeTo 203.0.113.10 avoid=svpn0",
		"createTUN svpn0",
		"addAddress svpn0 10.77.0.2/32",
		"addRoute 203.0.113.10/32 eth0", // pinned before the route that covers it exists
		"addRoute 10.77.0.0/24 svpn0",
		"addRoute 203.0.113.0/24 svpn0",
		"setDNS [10.77.0.53] [intra.go.kr]",
	}
	if !slices.Equal(h.ops, want) {
		t.Fatalf("operations:\n%s\nwant:\n%s", strings.Join(h.ops, "\n"), strings.Join(want, "\n"))
	}
	if w := tn.Warnings(); len(w) != 1 || api.CodeOf(w[0]) != api.CodeTunnelDNSFallback {
		t.Errorf("Warnings() = %v", w)
	}
	st, err := readState(dir)
	if err != nil || st == nil || st.EndpointRoute == nil || st.EndpointRoute.Gateway != h.physical.Gateway || len(st.Routes) != 2 {
		t.Fatalf("state = %+v, %v", st, err)
	}

	// The gateway moves; its new address is covered too.
	h.ops = nil
	h.physical = route{Gateway: netip.MustParseAddr("10.0.0.1"), Interface: "wlan0"}
	if err := tn.UpdateEndpoint(netip.MustParseAddrPort("203.0.113.20:51820")); err != nil {
		t.Fatal(err)
	}
	want = []string{
		"delRoute 203.0.113.10/32 eth0",
		"routeTo 203.0.113.20 avoid=svpn0",
		"addRoute 203.0.113.20/32 wlan0",
	}
	if !slices.Equal(h.ops, want) {
		t.Fatalf("UpdateEndpoint operations:\n%s\nwant:\n%s", strings.Join(h.ops, "\n"), strings.Join(want, "\n"))
	}
	if st, _ := readState(dir); st.EndpointRoute == nil || st.EndpointRoute.Dst != netip.MustParsePrefix("203.0.113.20/32") {
		t.Fatalf("state after UpdateEndpoint: %+v", st)
	}
	if s, _ := tn.Stats(); s.Endpoint != "203.0.113.20:51820" {
		t.Errorf("device endpoint after UpdateEndpoint = %q", s.Endpoint)
	}
	// Moved outside the routes: no pin any more.
	if err := tn.UpdateEndpoint(netip.MustParseAddrPort("198.51.100.1:51820")); err != nil {
		t.Fatal(err)
	}
	if _, ok := h.routes[netip.MustParsePrefix("203.0.113.20/32")]; ok {
		t.Error("old endpoint route left after moving out of the routes")
	}
	if st, _ := readState(dir); st.EndpointRoute != nil {
		t.Errorf("state still lists an endpoint route: %+v", st.EndpointRoute)
	}

	h.ops = nil
	if err := tn.Close(); err != nil {
		t.Fatal(err)
	}
	if len(h.routes) != 0 || len(h.links) != 0 || h.dnsSet {
		t.Errorf("after Close: routes %v, links %v, dns %v", h.routes, h.links, h.dnsSet)
	}
	if h.ops[0] != "revertDNS" {
		t.Errorf("Close did not revert DNS first: %v", h.ops)
	}
	if st, err := readState(dir); st != nil || err != nil {
		t.Errorf("state file after Close: %+v, %v", st, err)
	}
	if err := tn.UpdateEndpoint(netip.MustParseAddrPort("203.0.113.10:51820")); !errors.Is(err, errClosed) {
		t.Errorf("UpdateEndpoint after Close = %v", err)
	}
}

func TestOSTunnelEndpointOutsideRoutes(t *testing.T) {
	dir := t.TempDir()
	h := newFakeHost(t, dir)
	tn, err := newOS(osTestConfig(t, false), OSOptions{StateDir: dir, Name: "svpn7"}, h.open)
	if err != nil {
		t.Fatal(err)
	}
	defer tn.Close()
	for _, op := range h.ops {
		if strings.HasPrefix(op, "routeTo") || strings.Contains(op, "203.0.113.10/32") {
			t.Errorf("endpoint pinned although no route covers it: %s", op)
		}
	}
	if tn.Interface() != "svpn7" {
		t.Errorf("Interface() = %q", tn.Interface())
	}
}

func TestOSTunnelRollback(t *testing.T) {
	dir := t.TempDir()
	h := newFakeHost(t, dir)
	taken := route{Dst: netip.MustParsePrefix("203.0.113.0/24"), Interface: "eth0"}
	h.routes[taken.Dst] = taken // a local network uses the office's range
	_, err := newOS(osTestConfig(t, true), OSOptions{StateDir: dir}, h.open)
	if api.CodeOf(err) != api.CodeTunnelRouteConflict {
		t.Fatalf("newOS = %v, want %s", err, api.CodeTunnelRouteConflict)
	}
	if len(h.routes) != 1 || h.routes[taken.Dst] != taken {
		t.Errorf("routes after the failed start: %v (the existing one must stay, ours must go)", h.routes)
	}
	if len(h.links) != 0 || h.dnsSet {
		t.Errorf("links %v, dns %v after the failed start", h.links, h.dnsSet)
	}
	if slices.ContainsFunc(h.ops, func(s string) bool { return strings.HasPrefix(s, "setDNS") }) {
		t.Error("DNS set although routes failed")
	}
	if st, _ := readState(dir); st != nil {
		t.Errorf("state file left: %+v", st)
	}
}

func TestRecover(t *testing.T) {
	dir := t.TempDir()
	h := newFakeHost(t, dir)
	if err := recoverState(dir, slog.New(slog.DiscardHandler), h.open); err != nil || len(h.ops) != 0 {
		t.Fatalf("Recover without state: %v, ops %v", err, h.ops)
	}
	// A run that was killed: its state file, the endpoint route it added.
	tn, err := newOS(osTestConfig(t, true), OSOptions{StateDir: dir}, h.open)
	if err != nil {
		t.Fatal(err)
	}
	tn.eng.close() // the process died: the kernel closed the TUN, nothing else
	if len(h.routes) != 1 {
		t.Fatalf("after the crash the fake kernel has %v, want the endpoint route only", h.routes)
	}

	h.ops, h.failDel = nil, errors.New("netlink: busy")
	if err := recoverState(dir, slog.New(slog.DiscardHandler), h.open); err == nil {
		t.Fatal("Recover succeeded although removing a route failed")
	}
	if st, _ := readState(dir); st == nil {
		t.Fatal("state file removed although Recover failed")
	}
	h.ops, h.failDel = nil, nil
	if err := recoverState(dir, slog.New(slog.DiscardHandler), h.open); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"revertDNS",
		"delRoute 203.0.113.0/24 svpn0",
		"delRoute 10.77.0.0/24 svpn0",
		"removeLink svpn0",
		"delRoute 203.0.113.10/32 eth0",
	}
	if !slices.Equal(h.ops, want) {
		t.Fatalf("Recover operations:\n%s\nwant:\n%s", strings.Join(h.ops, "\n"), strings.Join(want, "\n"))
	}
	if len(h.routes) != 0 {
		t.Errorf("routes after Recover: %v", h.routes)
	}
	if st, err := readState(dir); st != nil || err != nil {
		t.Errorf("state after Recover: %+v, %v", st, err)
	}
}

func TestRecoverUnreadableState(t *testing.T) {
	dir := t.TempDir()
	h := newFakeHost(t, dir)
	if err := os.WriteFile(statePath(dir), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := recoverState(dir, slog.New(slog.DiscardHandler), h.open)
	if api.CodeOf(err) != api.CodeTunnelState {
		t.Fatalf("Recover of a corrupt state file = %v", err)
	}
	if aside, _ := filepath.Glob(statePath(dir) + ".unreadable-*"); len(aside) != 1 {
		t.Errorf("corrupt state file not moved aside: %v", aside)
	}
	// It no longer blocks a tunnel.
	if err := recoverState(dir, slog.New(slog.DiscardHandler), h.open); err != nil {
		t.Fatalf("second Recover: %v", err)
	}
	if err := Recover("", nil); api.CodeOf(err) != api.CodeTunnelState {
		t.Errorf("Recover without a directory = %v", err)
	}
}
