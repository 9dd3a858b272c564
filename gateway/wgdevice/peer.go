package wgdevice

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/opensvpn/svpn/wgkey"
)

// AddPeer lets the client with public key pub in, with addr as its only
// allowed address. If the key is already a peer its allowed address is
// replaced; the peer's handshake state is kept. An address another peer held
// moves to this one, as in WireGuard itself: the lease table decides who owns
// an address, not the device.
func (d *Device) AddPeer(pub wgkey.Public, addr netip.Addr) error {
	if pub.IsZero() {
		return errors.New("wgdevice: AddPeer: zero public key")
	}
	if pub == d.pub {
		return errors.New("wgdevice: AddPeer: the gateway's own public key")
	}
	pool := d.cfg.Address.Masked()
	if !addr.IsValid() || addr.Zone() != "" || !pool.Contains(addr) {
		return fmt.Errorf("wgdevice: AddPeer: address %v is not in the pool %v", addr, pool)
	}
	if addr == d.cfg.Address.Addr() {
		return fmt.Errorf("wgdevice: AddPeer: address %v is the gateway's own", addr)
	}
	allowed := netip.PrefixFrom(addr, addr.BitLen())
	err := d.set(fmt.Sprintf("public_key=%s\nreplace_allowed_ips=true\nallowed_ip=%s\n", pub.Hex(), allowed))
	if err != nil {
		return fmt.Errorf("wgdevice: adding peer %v: %w", pub, err)
	}
	d.log.Info("peer added", "public_key", pub, "allowed_ip", allowed)
	return nil
}

// RemovePeer removes the peer with public key pub, ending its tunnel at
// once: its keys are dropped, so packets it still sends are discarded. It is
// not an error if there is no such peer.
func (d *Device) RemovePeer(pub wgkey.Public) error {
	if pub.IsZero() {
		return nil // AddPeer never admits it
	}
	if err := d.set(fmt.Sprintf("public_key=%s\nremove=true\n", pub.Hex())); err != nil {
		return fmt.Errorf("wgdevice: removing peer %v: %w", pub, err)
	}
	d.log.Info("peer removed", "public_key", pub)
	return nil
}

// set applies a UAPI "set" operation unless the device is closed.
// wireguard-go serializes UAPI operations itself.
func (d *Device) set(uapi string) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return ErrClosed
	}
	return d.wg.IpcSet(uapi)
}
