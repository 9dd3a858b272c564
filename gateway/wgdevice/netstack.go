package wgdevice

import (
	"fmt"
	"net/netip"

	"golang.zx2c4.com/wireguard/tun"
	"golang.zx2c4.com/wireguard/tun/netstack"
)

// netstackLink is the tunnel network run in-process on gVisor's netstack.
type netstackLink struct {
	tun tun.Device
	net *netstack.Net
}

func openNetstack(cfg Config) (link, error) {
	dev, tnet, err := netstack.CreateNetTUN([]netip.Addr{cfg.Address.Addr()}, nil, cfg.MTU)
	if err != nil {
		return nil, fmt.Errorf("wgdevice: creating netstack: %w", err)
	}
	return &netstackLink{tun: dev, net: tnet}, nil
}

func (l *netstackLink) TUN() tun.Device    { return l.tun }
func (l *netstackLink) Net() *netstack.Net { return l.net }
func (l *netstackLink) Teardown() error    { return nil }
