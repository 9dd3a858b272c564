package wgdevice

import (
	"golang.zx2c4.com/wireguard/tun"
	"golang.zx2c4.com/wireguard/tun/netstack"
)

// A link is the host side of a Device: the packet interface wireguard-go
// writes decrypted packets to and reads packets to encrypt from, and
// whatever was set up on the host around it. Netstack and the Linux kernel
// TUN are its two forms; openLink picks one by Mode.
type link interface {
	// TUN is handed to wireguard-go, which owns it from then on and closes
	// it when the device closes.
	TUN() tun.Device
	// Net is the gateway's side of the tunnel network in netstack mode, nil
	// in tun mode, where the host's own network stack is that side.
	Net() *netstack.Net
	// Teardown undoes changes made on the host (NAT rules). It runs after
	// wireguard-go has closed the TUN, and on a failed New.
	Teardown() error
}

// openLink opens the link for cfg.Mode.
func openLink(cfg Config) (link, error) {
	if cfg.Mode == ModeTUN {
		return openTUN(cfg)
	}
	return openNetstack(cfg)
}
