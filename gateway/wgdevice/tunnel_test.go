package wgdevice

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestNetstackTunnel runs the whole path without privileges: a wireguard-go
// client on its own netstack handshakes with the gateway device over
// loopback UDP and fetches the portal the gateway serves inside the tunnel.
// Removing the peer must cut the client off; adding it back must let it in.
func TestNetstackTunnel(t *testing.T) {
	gwPriv := mustKey(t)
	gwAddr := netip.MustParsePrefix("10.77.0.1/24")
	gw, logs := newNetstackDevice(t, gwPriv, gwAddr)
	if gw.ListenPort() == 0 {
		t.Fatal("ListenPort() = 0 after asking for a free port")
	}
	if gw.PublicKey() != gwPriv.Public() {
		t.Fatal("PublicKey() does not match the private key")
	}
	servePortal(t, gw.Net(), gwAddr.Addr())

	clientAddr := netip.MustParseAddr("10.77.0.5")
	endpoint := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(gw.ListenPort()))
	c := newWGClient(t, clientAddr, gw.PublicKey(), endpoint, gwAddr.Addr())
	clientPub := c.priv.Public()
	url := "http://" + gwAddr.Addr().String() + "/"

	if err := gw.AddPeer(clientPub, clientAddr); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	body, err := c.get(url, 10*time.Second)
	if err != nil {
		t.Fatalf("fetch through the tunnel: %v", err)
	}
	if !strings.Contains(body, portalText) {
		t.Fatalf("portal page = %q, want it to contain %s", body, portalText)
	}
	t.Logf("first fetch (handshake included) took %v", time.Since(start))

	p := findPeer(t, gw, clientPub)
	if p.LastHandshake.IsZero() || time.Since(p.LastHandshake) > time.Minute || p.LastHandshake.After(time.Now().Add(time.Second)) {
		t.Errorf("LastHandshake = %v, want just now", p.LastHandshake)
	}
	if p.RxBytes < uint64(100) || p.TxBytes < uint64(len(portalPage)) {
		t.Errorf("RxBytes = %d, TxBytes = %d: want traffic counted", p.RxBytes, p.TxBytes)
	}
	if want := netip.PrefixFrom(clientAddr, 32); p.AllowedIP != want {
		t.Errorf("AllowedIP = %v, want %v", p.AllowedIP, want)
	}
	if want := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(c.listenPort(t))); p.Endpoint != want {
		t.Errorf("Endpoint = %v, want %v", p.Endpoint, want)
	}

	// The session ends: the same client, with keys that were valid a
	// moment ago, must not get through.
	if err := gw.RemovePeer(clientPub); err != nil {
		t.Fatal(err)
	}
	if peers, _ := gw.Peers(); len(peers) != 0 {
		t.Fatalf("Peers() after RemovePeer = %v", peers)
	}
	if body, err := c.get(url, 2*time.Second); err == nil {
		t.Fatalf("fetch after RemovePeer succeeded: %q", body)
	}
	if err := gw.RemovePeer(clientPub); err != nil {
		t.Fatalf("RemovePeer of an absent peer: %v", err)
	}

	// A new session for the same key: the client logs in again.
	if err := gw.AddPeer(clientPub, clientAddr); err != nil {
		t.Fatal(err)
	}
	c.reconnect(t)
	if body, err := c.get(url, 10*time.Second); err != nil || !strings.Contains(body, portalText) {
		t.Fatalf("fetch after AddPeer again: %q, %v", body, err)
	}

	// Nothing secret in the log, which was at debug level throughout.
	out := logs.String()
	for _, secret := range []string{gwPriv.Base64Secret(), gwPriv.UAPIHex(), c.priv.Base64Secret(), c.priv.UAPIHex()} {
		if strings.Contains(out, secret) {
			t.Fatalf("a private key appears in the log")
		}
	}
	if !strings.Contains(out, "peer added") || !strings.Contains(out, clientPub.String()) {
		t.Errorf("log lacks the peer events:\n%s", out)
	}
}
