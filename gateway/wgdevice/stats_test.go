package wgdevice

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/opensvpn/svpn/wgkey"
)

func TestParseUAPI(t *testing.T) {
	k1 := strings.Repeat("11", 32)
	k2 := strings.Repeat("ab", 32)
	uapi := "private_key=" + strings.Repeat("ee", 32) + "\n" +
		"listen_port=51820\n" +
		"fwmark=7\n" +
		"public_key=" + k1 + "\n" +
		"preshared_key=" + strings.Repeat("00", 32) + "\n" +
		"protocol_version=1\n" +
		"endpoint=192.0.2.7:40000\n" +
		"last_handshake_time_sec=1700000000\n" +
		"last_handshake_time_nsec=500\n" +
		"tx_bytes=1234\n" +
		"rx_bytes=5678\n" +
		"persistent_keepalive_interval=0\n" +
		"allowed_ip=10.77.0.5/32\n" +
		"allowed_ip=10.99.0.0/16\n" +
		"some_future_key=whatever\n" +
		"public_key=" + k2 + "\n" +
		"endpoint=[2001:db8::1]:51820\n" +
		"last_handshake_time_sec=0\n" +
		"last_handshake_time_nsec=0\n" +
		"tx_bytes=0\n" +
		"rx_bytes=0\n" +
		"\n" +
		"public_key=" + strings.Repeat("cc", 32) + "\n" // after the blank line: not read
	port, peers, err := parseUAPI(uapi)
	if err != nil {
		t.Fatal(err)
	}
	if port != 51820 {
		t.Errorf("port = %d", port)
	}
	if len(peers) != 2 {
		t.Fatalf("%d peers: %+v", len(peers), peers)
	}
	var want1 wgkey.Public
	for i := range want1 {
		want1[i] = 0x11
	}
	p := peers[0]
	if p.PublicKey != want1 || p.Endpoint != netip.MustParseAddrPort("192.0.2.7:40000") ||
		!p.LastHandshake.Equal(time.Unix(1700000000, 500)) || p.TxBytes != 1234 || p.RxBytes != 5678 ||
		p.AllowedIP != netip.MustParsePrefix("10.77.0.5/32") {
		t.Errorf("peer 1 = %+v", p)
	}
	p = peers[1]
	if p.PublicKey.Hex() != k2 || p.Endpoint != netip.MustParseAddrPort("[2001:db8::1]:51820") ||
		!p.LastHandshake.IsZero() || p.AllowedIP.IsValid() {
		t.Errorf("peer 2 = %+v", p)
	}
}

func TestParseUAPIErrors(t *testing.T) {
	k := "public_key=" + strings.Repeat("11", 32) + "\n"
	for _, s := range []string{
		"listen_port=70000\n",
		"listen_port=x\n",
		"no equals sign\n",
		"public_key=1234\n",
		"public_key=" + strings.Repeat("zz", 32) + "\n",
		k + "endpoint=nowhere\n",
		k + "rx_bytes=-1\n",
		k + "tx_bytes=1e3\n",
		k + "last_handshake_time_sec=yesterday\n",
		k + "allowed_ip=10.77.0.5\n",
	} {
		if _, _, err := parseUAPI(s); err == nil {
			t.Errorf("parseUAPI(%q) succeeded", s)
		}
	}
	// The private key must never surface in an error.
	priv := strings.Repeat("ee", 32)
	if _, _, err := parseUAPI("private_key=" + priv + "\nbroken\n"); err == nil || strings.Contains(err.Error(), priv) {
		t.Errorf("error %v", err)
	}
}

func FuzzParseUAPI(f *testing.F) {
	f.Add("listen_port=1\npublic_key=" + strings.Repeat("11", 32) + "\nendpoint=1.2.3.4:5\nallowed_ip=10.0.0.1/32\nrx_bytes=1\n")
	f.Add("")
	f.Add("\n\n")
	f.Fuzz(func(t *testing.T, s string) {
		port, peers, err := parseUAPI(s)
		if err != nil {
			return
		}
		if port < 0 || port > 65535 {
			t.Fatalf("port %d", port)
		}
		if n := strings.Count(s, "public_key="); len(peers) > n {
			t.Fatalf("%d peers from %d public_key lines", len(peers), n)
		}
	})
}
