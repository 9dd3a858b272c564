package wgdevice

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestParseUAPI: the device's view of wireguard-go's configuration (the
// parsing itself is internal/uapi's, tested there): one PeerStats per peer,
// with its first allowed IP, and errors that say where they come from.
func TestParseUAPI(t *testing.T) {
	k1, k2 := strings.Repeat("11", 32), strings.Repeat("ab", 32)
	port, peers, err := parseUAPI("listen_port=51820\n" +
		"public_key=" + k1 + "\nendpoint=192.0.2.7:40000\nlast_handshake_time_sec=1700000000\nlast_handshake_time_nsec=500\n" +
		"tx_bytes=1234\nrx_bytes=5678\nallowed_ip=10.77.0.5/32\nallowed_ip=10.99.0.0/16\n" +
		"public_key=" + k2 + "\n")
	if err != nil || port != 51820 || len(peers) != 2 {
		t.Fatalf("port %d, peers %+v, err %v", port, peers, err)
	}
	p := peers[0]
	if p.PublicKey.Hex() != k1 || p.Endpoint != netip.MustParseAddrPort("192.0.2.7:40000") ||
		!p.LastHandshake.Equal(time.Unix(1700000000, 500)) || p.TxBytes != 1234 || p.RxBytes != 5678 ||
		p.AllowedIP != netip.MustParsePrefix("10.77.0.5/32") {
		t.Errorf("peer 1 = %+v", p)
	}
	if p := peers[1]; p.PublicKey.Hex() != k2 || p.AllowedIP.IsValid() || !p.LastHandshake.IsZero() {
		t.Errorf("peer 2 = %+v", p)
	}
	if _, _, err := parseUAPI("listen_port=x\n"); err == nil || !strings.HasPrefix(err.Error(), "wgdevice: ") {
		t.Errorf("error %v", err)
	}
}
