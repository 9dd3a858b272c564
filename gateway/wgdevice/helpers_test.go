package wgdevice

import (
	"context"
	"fmt"
	"github.com/opensvpn/svpn/internal/nettest"
	"github.com/opensvpn/svpn/internal/proctest"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/tun/netstack"

	"github.com/opensvpn/svpn/wgkey"
)

// portalText is what the stand-in portal serves; the tests look for it.
const portalText = "행정포탈"

var portalPage = "<!doctype html><meta charset=utf-8><title>" + portalText + "</title><h1>" + portalText + "</h1>\n"

func portalHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, portalPage)
	})
}

// syncBuffer collects log output written from several goroutines.
type syncBuffer = proctest.Buffer

func mustKey(t testing.TB) wgkey.Private {
	t.Helper()
	k, err := wgkey.NewPrivate()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newNetstackDevice starts a gateway device in netstack mode, closed at the
// end of the test. Its debug log goes to the returned buffer.
func newNetstackDevice(t testing.TB, priv wgkey.Private, addr netip.Prefix) (*Device, *syncBuffer) {
	t.Helper()
	logs := new(syncBuffer)
	d, err := New(Config{
		Mode:       ModeNetstack,
		PrivateKey: priv,
		Address:    addr,
		Logger:     slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return d, logs
}

// servePortal serves the portal page inside the gateway's netstack at
// addr:80 until the test ends.
func servePortal(t testing.TB, tnet *netstack.Net, addr netip.Addr) {
	t.Helper()
	ln, err := tnet.ListenTCPAddrPort(netip.AddrPortFrom(addr, 80))
	if err != nil {
		t.Fatalf("listen in netstack: %v", err)
	}
	srv := &http.Server{Handler: portalHandler(), ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
}

// wgClient is a client built straight from wireguard-go, the way svpnd's
// userspace mode is: a netstack with the client's tunnel address and the
// gateway as its only peer.
type wgClient struct {
	priv wgkey.Private
	addr netip.Addr
	dev  *device.Device
	net  *netstack.Net
	peer string // the UAPI peer section for the gateway
}

func newWGClient(t testing.TB, addr netip.Addr, gwPub wgkey.Public, gwEndpoint netip.AddrPort, gwAddr netip.Addr) *wgClient {
	t.Helper()
	c := &wgClient{priv: mustKey(t), addr: addr}
	tdev, tnet, err := netstack.CreateNetTUN([]netip.Addr{addr}, nil, DefaultMTU)
	if err != nil {
		t.Fatal(err)
	}
	c.net = tnet
	c.dev = device.NewDevice(tdev, conn.NewDefaultBind(), device.NewLogger(device.LogLevelSilent, ""))
	t.Cleanup(c.dev.Close)
	c.peer = fmt.Sprintf("public_key=%s\nendpoint=%s\nallowed_ip=%s/32\n", gwPub.Hex(), gwEndpoint, gwAddr)
	if err := c.dev.IpcSet("private_key=" + c.priv.UAPIHex() + "\n" + c.peer); err != nil {
		t.Fatal(err)
	}
	if err := c.dev.Up(); err != nil {
		t.Fatal(err)
	}
	return c
}

// reconnect drops the client's session with the gateway and sets the peer
// up afresh, as svpnd does after a new login, so that the next packet starts
// a new handshake instead of riding on keys the gateway no longer has.
func (c *wgClient) reconnect(t testing.TB) {
	t.Helper()
	gwKey, _, _ := strings.Cut(c.peer, "\n")
	if err := c.dev.IpcSet(gwKey + "\nremove=true\n" + c.peer); err != nil {
		t.Fatal(err)
	}
}

func (c *wgClient) listenPort(t testing.TB) int {
	t.Helper()
	uapi, err := c.dev.IpcGet()
	if err != nil {
		t.Fatal(err)
	}
	port, _, err := parseUAPI(uapi)
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// get fetches url through the client's tunnel on a fresh connection.
func (c *wgClient) get(url string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return nettest.Get(ctx, c.net.DialContext, url)
}

// findPeer returns the stats of pub, failing the test if it is absent.
func findPeer(t testing.TB, d *Device, pub wgkey.Public) PeerStats {
	t.Helper()
	peers, err := d.Peers()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range peers {
		if p.PublicKey == pub {
			return p
		}
	}
	t.Fatalf("peer %v not in Peers() = %v", pub, peers)
	return PeerStats{}
}
