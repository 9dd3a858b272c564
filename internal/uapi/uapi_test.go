package uapi

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/opensvpn/svpn/wgkey"
)

func key(b byte) wgkey.Public {
	var k wgkey.Public
	for i := range k {
		k[i] = b
	}
	return k
}

func TestParse(t *testing.T) {
	k1, k2, k3 := key(0x11), key(0xab), key(0xcc)
	get := "private_key=" + strings.Repeat("ee", 32) + "\n" +
		"listen_port=51820\n" +
		"fwmark=7\n" +
		"public_key=" + k1.Hex() + "\n" +
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
		"public_key=" + k2.Hex() + "\n" +
		"endpoint=[2001:db8::1]:51820\n" +
		"last_handshake_time_sec=0\n" +
		"last_handshake_time_nsec=0\n" +
		"tx_bytes=0\n" +
		"rx_bytes=0\n" +
		"errno=0\n" +
		"\n" +
		"public_key=" + k3.Hex() + "\n" // after the blank line: not read
	d, err := Parse(get)
	if err != nil {
		t.Fatal(err)
	}
	want := Device{ListenPort: 51820, Peers: []Peer{{
		PublicKey: k1, Endpoint: netip.MustParseAddrPort("192.0.2.7:40000"), LastHandshake: time.Unix(1700000000, 500),
		TxBytes: 1234, RxBytes: 5678, AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.77.0.5/32"), netip.MustParsePrefix("10.99.0.0/16")},
	}, {
		PublicKey: k2, Endpoint: netip.MustParseAddrPort("[2001:db8::1]:51820"),
	}}}
	if !reflect.DeepEqual(d, want) {
		t.Fatalf("Parse = %+v\nwant    %+v", d, want)
	}
	if p, ok := d.Peer(k2); !ok || p.PublicKey != k2 {
		t.Errorf("Peer(k2) = %+v, %v", p, ok)
	}
	if _, ok := d.Peer(k3); ok {
		t.Error("a peer after the blank line was read")
	}
	if d, err := Parse(""); err != nil || !reflect.DeepEqual(d, Device{}) {
		t.Errorf("Parse of nothing = %+v, %v", d, err)
	}
}

func TestParseErrors(t *testing.T) {
	k := "public_key=" + key(0x11).Hex() + "\n"
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
		k + "last_handshake_time_nsec=soon\n",
		k + "allowed_ip=10.77.0.5\n",
	} {
		d, err := Parse(s)
		if err == nil {
			t.Errorf("Parse(%q) succeeded", s)
		}
		if !reflect.DeepEqual(d, Device{}) {
			t.Errorf("Parse(%q) returned %+v with its error", s, d)
		}
	}
}

// The answer's secrets never surface in an error, whatever line is broken
// and however a secret line itself is malformed.
func TestParseErrorsHideSecrets(t *testing.T) {
	priv, psk := strings.Repeat("ee", 32), strings.Repeat("5a", 32)
	for _, s := range []string{
		"private_key=" + priv + "\nbroken\n",
		"private_key" + priv + "\n",                                   // no '=': the whole line is the secret
		"private_key:" + priv + "\nlisten_port=1\n",                   // a foreign separator
		"public_key=" + key(1).Hex() + "\npreshared_key" + psk + "\n", // no '='
		"public_key=" + key(1).Hex() + "\npreshared_key=" + psk + "\nrx_bytes=x\n",
		"public_key=" + priv[:63] + "\n", // a mangled key in a public_key line
	} {
		_, err := Parse(s)
		if err == nil {
			t.Errorf("Parse(%q) succeeded", s)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, priv[:16]) || strings.Contains(msg, psk[:16]) {
			t.Errorf("error %q quotes a secret", msg)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("listen_port=1\npublic_key=" + key(0x11).Hex() + "\nendpoint=1.2.3.4:5\nallowed_ip=10.0.0.1/32\nrx_bytes=1\n")
	f.Add("private_key=" + strings.Repeat("ee", 32) + "\npublic_key=" + key(1).Hex() + "\npreshared_key=" + strings.Repeat("5a", 32) + "\nbroken\n")
	f.Add("")
	f.Add("\n\n")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(s)
		if err != nil {
			if !reflect.DeepEqual(d, Device{}) {
				t.Fatalf("a result with an error: %+v", d)
			}
			// A secret value that appears only on its own line never
			// appears in the error.
			for line := range strings.Lines(s) {
				for _, secret := range []string{"private_key=", "preshared_key="} {
					v, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), secret)
					if ok && len(v) >= 16 && strings.Count(s, v) == 1 && strings.Contains(err.Error(), v) {
						t.Fatalf("error %q quotes the secret %q", err, v)
					}
				}
			}
			return
		}
		if d.ListenPort < 0 || d.ListenPort > 65535 {
			t.Fatalf("port %d", d.ListenPort)
		}
		if n := strings.Count(s, "public_key="); len(d.Peers) > n {
			t.Fatalf("%d peers from %d public_key lines", len(d.Peers), n)
		}
	})
}
