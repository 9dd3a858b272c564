package tunnel

import (
	"context"
	"fmt"
	"github.com/opensvpn/svpn/internal/nettest"
	"github.com/opensvpn/svpn/internal/proctest"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
	"golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/tun/netstack"

	"github.com/opensvpn/svpn/wgkey"
)

// The test network: the gateway is 10.77.0.1 (portal on port 80) and
// 10.77.0.53 (DNS), the client 10.77.0.2.
var (
	gwAddr       = netip.MustParseAddr("10.77.0.1")
	gwDNS        = netip.MustParseAddr("10.77.0.53")
	clientAddr   = netip.MustParsePrefix("10.77.0.2/32")
	tunnelNet    = netip.MustParsePrefix("10.77.0.0/24")
	portalName   = "portal.intra.go.kr"
	searchDomain = "intra.go.kr"
)

// portalText is what the stand-in portal serves; the tests look for it.
const portalText = "행정포탈 — 원격근무서비스에 오신 것을 환영합니다"

var portalPage = "<!doctype html><meta charset=utf-8><title>행정포탈</title><h1>" + portalText + "</h1>\n"

// testGateway is a gateway built straight from wireguard-go on netstack:
// one peer (the client's key, allowed its /32), the portal and a DNS
// server inside the tunnel.
type testGateway struct {
	pub  wgkey.Public
	port int // UDP, on every address of the host
	net  *netstack.Net
	dev  *device.Device

	closeOnce sync.Once
	stops     []func()
}

func mustKey(t testing.TB) wgkey.Private {
	t.Helper()
	k, err := wgkey.NewPrivate()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func startGateway(t testing.TB, clientPub wgkey.Public) *testGateway {
	t.Helper()
	priv := mustKey(t)
	tdev, tnet, err := netstack.CreateNetTUN([]netip.Addr{gwAddr, gwDNS}, nil, DefaultMTU)
	if err != nil {
		t.Fatal(err)
	}
	dev := device.NewDevice(tdev, conn.NewDefaultBind(), device.NewLogger(device.LogLevelSilent, ""))
	gw := &testGateway{pub: priv.Public(), net: tnet, dev: dev}
	t.Cleanup(gw.close)
	uapi := fmt.Sprintf("private_key=%s\nlisten_port=0\npublic_key=%s\nallowed_ip=%s\n", priv.UAPIHex(), clientPub.Hex(), clientAddr)
	if err := dev.IpcSet(uapi); err != nil {
		t.Fatal(err)
	}
	if err := dev.Up(); err != nil {
		t.Fatal(err)
	}
	get, err := dev.IpcGet()
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(get) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "listen_port="); ok {
			gw.port, _ = strconv.Atoi(v)
		}
	}
	if gw.port == 0 {
		t.Fatalf("gateway has no listen port:\n%s", get)
	}

	ln, err := tnet.ListenTCPAddrPort(netip.AddrPortFrom(gwAddr, 80))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, portalPage)
		}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		srv.Serve(ln)
	}()
	gw.stops = append(gw.stops, func() {
		srv.Close()
		<-served
	})

	pc, err := tnet.ListenUDPAddrPort(netip.AddrPortFrom(gwDNS, 53))
	if err != nil {
		t.Fatal(err)
	}
	answered := make(chan struct{})
	go func() {
		defer close(answered)
		serveDNS(pc, map[string]netip.Addr{portalName + ".": gwAddr})
	}()
	gw.stops = append(gw.stops, func() {
		pc.Close()
		<-answered
	})
	return gw
}

func (gw *testGateway) endpoint() netip.AddrPort {
	return netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(gw.port))
}

func (gw *testGateway) close() {
	gw.closeOnce.Do(func() {
		for _, stop := range gw.stops {
			stop()
		}
		gw.dev.Close()
	})
}

// serveDNS answers A queries for the names in zone and NXDOMAIN for the
// rest, until pc is closed.
func serveDNS(pc net.PacketConn, zone map[string]netip.Addr) {
	buf := make([]byte, 1500)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		var p dnsmessage.Parser
		hdr, err := p.Start(buf[:n])
		if err != nil {
			continue
		}
		q, err := p.Question()
		if err != nil {
			continue
		}
		resp := dnsmessage.Message{
			Header:    dnsmessage.Header{ID: hdr.ID, Response: true, Authoritative: true, RecursionAvailable: true},
			Questions: []dnsmessage.Question{q},
		}
		addr, ok := zone[strings.ToLower(q.Name.String())]
		switch {
		case !ok:
			resp.Header.RCode = dnsmessage.RCodeNameError
		case q.Type == dnsmessage.TypeA:
			resp.Answers = []dnsmessage.Resource{{
				Header: dnsmessage.ResourceHeader{Name: q.Name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: 60},
				Body:   &dnsmessage.AResource{A: addr.As4()},
			}}
		}
		out, err := resp.Pack()
		if err != nil {
			continue
		}
		pc.WriteTo(out, from)
	}
}

// clientConfig is the tunnel the gateway would hand out at login.
func clientConfig(priv wgkey.Private, gw *testGateway, ep netip.AddrPort) Config {
	return Config{
		PrivateKey:      priv,
		Address:         clientAddr,
		ServerPublicKey: gw.pub,
		Endpoint:        ep,
		Keepalive:       25 * time.Second,
		Routes:          []netip.Prefix{tunnelNet},
		DNS:             []netip.Addr{gwDNS},
		SearchDomains:   []string{searchDomain},
	}
}

// fetch GETs url through dial, with a 10 s bound.
func fetch(ctx context.Context, dial func(context.Context, string, string) (net.Conn, error), url string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return nettest.Get(ctx, dial, url)
}

// syncBuffer collects log output written from several goroutines.
type syncBuffer = proctest.Buffer

func debugLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// udpRelay passes UDP between one client and a server, the way a NAT or a
// moved gateway address looks to WireGuard: a new endpoint, the same peer.
type udpRelay struct {
	pc      net.PacketConn
	up      *net.UDPConn
	packets atomic.Int64
	done    sync.WaitGroup
}

func startRelay(t testing.TB, server netip.AddrPort) *udpRelay {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	up, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(server))
	if err != nil {
		t.Fatal(err)
	}
	r := &udpRelay{pc: pc, up: up}
	var client atomic.Pointer[net.Addr]
	r.done.Add(2)
	go func() {
		defer r.done.Done()
		buf := make([]byte, 65535)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			client.Store(&from)
			r.packets.Add(1)
			up.Write(buf[:n])
		}
	}()
	go func() {
		defer r.done.Done()
		buf := make([]byte, 65535)
		for {
			n, err := up.Read(buf)
			if err != nil {
				return
			}
			if c := client.Load(); c != nil {
				pc.WriteTo(buf[:n], *c)
			}
		}
	}()
	t.Cleanup(r.close)
	return r
}

func (r *udpRelay) addr() netip.AddrPort {
	return r.pc.LocalAddr().(*net.UDPAddr).AddrPort()
}

func (r *udpRelay) close() {
	r.pc.Close()
	r.up.Close()
	r.done.Wait()
}
