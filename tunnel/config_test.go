package tunnel

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/wgkey"
)

func TestConfigDefaults(t *testing.T) {
	priv := mustKey(t)
	in := Config{
		PrivateKey:      priv,
		Address:         clientAddr,
		ServerPublicKey: mustKey(t).Public(),
		Endpoint:        netip.MustParseAddrPort("[::ffff:203.0.113.1]:51820"),
		Routes:          []netip.Prefix{netip.MustParsePrefix("10.77.0.9/24"), tunnelNet},
		DNS:             []netip.Addr{netip.MustParseAddr("::ffff:10.77.0.53")},
		SearchDomains:   []string{"Intra.Go.KR.", "intra.go.kr"},
	}
	c, err := in.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if c.MTU != DefaultMTU {
		t.Errorf("MTU = %d", c.MTU)
	}
	if c.Endpoint != netip.MustParseAddrPort("203.0.113.1:51820") {
		t.Errorf("Endpoint = %v, want it unmapped", c.Endpoint)
	}
	if !slices.Equal(c.Routes, []netip.Prefix{tunnelNet}) {
		t.Errorf("Routes = %v, want masked and deduplicated", c.Routes)
	}
	if !slices.Equal(c.SearchDomains, []string{"intra.go.kr"}) {
		t.Errorf("SearchDomains = %v", c.SearchDomains)
	}
	if c.DNS[0] != gwDNS {
		t.Errorf("DNS = %v", c.DNS)
	}
	if !c.routed(netip.MustParseAddr("10.77.0.200")) || c.routed(netip.MustParseAddr("10.78.0.1")) {
		t.Error("routed() disagrees with Routes")
	}
	c.Routes[0] = netip.MustParsePrefix("0.0.0.0/0")
	if in.Routes[1] != tunnelNet {
		t.Error("withDefaults shares the Routes slice with its input")
	}
}

func TestConfigErrors(t *testing.T) {
	priv := mustKey(t)
	good := Config{
		PrivateKey:      priv,
		Address:         clientAddr,
		ServerPublicKey: mustKey(t).Public(),
		Endpoint:        netip.MustParseAddrPort("203.0.113.1:51820"),
		Routes:          []netip.Prefix{tunnelNet},
	}
	if _, err := good.withDefaults(); err != nil {
		t.Fatalf("good config: %v", err)
	}
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no key", func(c *Config) { c.PrivateKey = wgkey.Private{} }, "private key"},
		{"no server key", func(c *Config) { c.ServerPublicKey = wgkey.Public{} }, "server public key"},
		{"own key as server", func(c *Config) { c.ServerPublicKey = priv.Public() }, "client's own"},
		{"no address", func(c *Config) { c.Address = netip.Prefix{} }, "tunnel address"},
		{"unspecified address", func(c *Config) { c.Address = netip.MustParsePrefix("0.0.0.0/32") }, "tunnel address"},
		{"no endpoint", func(c *Config) { c.Endpoint = netip.AddrPort{} }, "endpoint"},
		{"endpoint port 0", func(c *Config) { c.Endpoint = netip.MustParseAddrPort("203.0.113.1:0") }, "endpoint"},
		{"negative keepalive", func(c *Config) { c.Keepalive = -time.Second }, "keepalive"},
		{"huge keepalive", func(c *Config) { c.Keepalive = 24 * time.Hour }, "keepalive"},
		{"small MTU", func(c *Config) { c.MTU = 576 }, "MTU"},
		{"no routes", func(c *Config) { c.Routes = nil }, "no routes"},
		{"invalid route", func(c *Config) { c.Routes = []netip.Prefix{{}} }, "invalid route"},
		{"invalid DNS", func(c *Config) { c.DNS = []netip.Addr{{}} }, "DNS server"},
		{"too many DNS", func(c *Config) { c.DNS = make([]netip.Addr, 9) }, "too many"},
		{"domain with newline", func(c *Config) { c.SearchDomains = []string{"intra.go.kr\nnameserver 1.2.3.4"} }, "search domain"},
		{"domain with space", func(c *Config) { c.SearchDomains = []string{"intra go.kr"} }, "search domain"},
		{"empty label", func(c *Config) { c.SearchDomains = []string{"intra..kr"} }, "search domain"},
		{"hyphen edge", func(c *Config) { c.SearchDomains = []string{"-intra.kr"} }, "search domain"},
		{"Hangul (must be punycode)", func(c *Config) { c.SearchDomains = []string{"행정.kr"} }, "search domain"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.edit(&c)
			_, err := c.withDefaults()
			if err == nil {
				t.Fatal("accepted")
			}
			if api.CodeOf(err) != api.CodeTunnelConfig || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want code %s mentioning %q", err, api.CodeTunnelConfig, tc.want)
			}
			if strings.Contains(err.Error(), priv.Base64Secret()) || strings.Contains(err.Error(), priv.UAPIHex()) {
				t.Fatal("the error contains the private key")
			}
		})
	}
}

func TestUAPIConfig(t *testing.T) {
	c, err := Config{
		PrivateKey:      mustKey(t),
		Address:         clientAddr,
		ServerPublicKey: mustKey(t).Public(),
		Endpoint:        netip.MustParseAddrPort("[2001:db8::1]:51820"),
		Keepalive:       25 * time.Second,
		Routes:          []netip.Prefix{tunnelNet, netip.MustParsePrefix("fd00:77::/64")},
	}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	got := uapiConfig(c)
	for _, want := range []string{
		"private_key=" + c.PrivateKey.UAPIHex() + "\n",
		"replace_peers=true\n",
		"public_key=" + c.ServerPublicKey.Hex() + "\n",
		"endpoint=[2001:db8::1]:51820\n",
		"persistent_keepalive_interval=25\n",
		"allowed_ip=10.77.0.0/24\nallowed_ip=fd00:77::/64\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("UAPI config lacks %q:\n%s", want, got)
		}
	}
}

func TestParsePeerStats(t *testing.T) {
	peer, other := mustKey(t).Public(), mustKey(t).Public()
	uapi := "private_key=" + mustKey(t).UAPIHex() + "\nlisten_port=4242\n" +
		"public_key=" + other.Hex() + "\nendpoint=192.0.2.9:1\nrx_bytes=1\ntx_bytes=2\nlast_handshake_time_sec=5\n" +
		"public_key=" + peer.Hex() + "\nendpoint=203.0.113.1:51820\nlast_handshake_time_sec=1700000000\n" +
		"last_handshake_time_nsec=5\nrx_bytes=1234\ntx_bytes=5678\nnew_key_from_the_future=x\n\n"
	st, ok, err := parsePeerStats(uapi, peer)
	if err != nil || !ok {
		t.Fatalf("parsePeerStats: %v, %v", ok, err)
	}
	want := Stats{LastHandshake: time.Unix(1700000000, 5), RxBytes: 1234, TxBytes: 5678, Endpoint: "203.0.113.1:51820"}
	if st != want {
		t.Errorf("stats = %+v, want %+v", st, want)
	}
	if st, ok, err := parsePeerStats("public_key="+other.Hex()+"\nrx_bytes=1\n", peer); ok || err != nil || st != (Stats{}) {
		t.Errorf("absent peer: %+v, %v, %v", st, ok, err)
	}
	for _, bad := range []string{
		"public_key=zz\n",
		"public_key=" + peer.Hex() + "\nrx_bytes=-1\n",
		"public_key=" + peer.Hex() + "\nno equals sign\n",
	} {
		if _, _, err := parsePeerStats(bad, peer); err == nil {
			t.Errorf("parsePeerStats(%q) succeeded", bad)
		}
	}
}

func FuzzParsePeerStats(f *testing.F) {
	var peer wgkey.Public
	peer[0] = 1
	f.Add("public_key=" + peer.Hex() + "\nrx_bytes=1\nlast_handshake_time_sec=2\n")
	f.Add("listen_port=1\n\n")
	f.Fuzz(func(t *testing.T, s string) {
		st, ok, err := parsePeerStats(s, peer)
		if err != nil && (ok || st != (Stats{})) {
			t.Fatalf("result with an error: %+v %v %v", st, ok, err)
		}
	})
}

func TestStateFile(t *testing.T) {
	dir := t.TempDir() + "/nested"
	if st, err := readState(dir); st != nil || err != nil {
		t.Fatalf("readState of nothing = %v, %v", st, err)
	}
	in := &state{
		Version:       stateVersion,
		PID:           42,
		Interface:     "svpn0",
		Address:       clientAddr,
		Routes:        []route{{Dst: tunnelNet, Interface: "svpn0"}},
		EndpointRoute: &route{Dst: netip.MustParsePrefix("203.0.113.1/32"), Gateway: netip.MustParseAddr("192.168.0.1"), Interface: "eth0"},
		DNS:           dnsState{Method: dnsResolvConf, Interface: "svpn0", Backup: "/var/lib/svpn/resolv.conf.backup"},
	}
	if err := writeState(dir, in); err != nil {
		t.Fatal(err)
	}
	out, err := readState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if out.Interface != in.Interface || out.Address != in.Address || !slices.Equal(out.Routes, in.Routes) ||
		*out.EndpointRoute != *in.EndpointRoute || out.DNS != in.DNS {
		t.Fatalf("round trip: %+v, want %+v", out, in)
	}
	in.Version = 99
	writeState(dir, in)
	if _, err := readState(dir); api.CodeOf(err) != api.CodeTunnelState {
		t.Errorf("state of another version: %v", err)
	}
	if err := removeState(dir); err != nil {
		t.Fatal(err)
	}
	if err := removeState(dir); err != nil {
		t.Fatalf("removing an absent state file: %v", err)
	}
}
