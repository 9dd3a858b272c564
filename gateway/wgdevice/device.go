// Package wgdevice is the gateway's WireGuard device: one wireguard-go
// device with a peer per login session, each allowed exactly the /32 (or
// /128) the session leased from the pool.
//
// The device runs either on netstack (userspace, no privileges: the demo and
// the tests, with the portal served inside the tunnel through Net) or on a
// Linux kernel TUN with optional NAT towards the internal network. Peers are
// changed through wireguard-go's UAPI, the same protocol wg(8) speaks, so
// what this package does can be reproduced and inspected with wg itself.
package wgdevice

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/tun/netstack"

	"github.com/opensvpn/svpn/streambind"
	"github.com/opensvpn/svpn/wgkey"
)

// ErrClosed is returned by calls on a closed Device.
var ErrClosed = errors.New("wgdevice: device closed")

// A Device is the gateway's WireGuard interface. Its methods are safe for
// concurrent use.
type Device struct {
	cfg  Config // PrivateKey cleared after New: the device holds its own copy
	log  *slog.Logger
	pub  wgkey.Public
	port int
	link link
	wg   *device.Device
	// streams carries UDP and the clients' TCP streams into wg.
	streams *streambind.Server

	// mu orders peer changes against Close: they hold it for reading, Close
	// for writing, so none runs on a device being torn down.
	mu     sync.RWMutex
	closed bool
}

// New creates the device, brings it up and starts listening. It fails if
// the port is taken or, in tun mode, without the privilege to create a TUN.
func New(cfg Config) (*Device, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	lk, err := openLink(cfg)
	if err != nil {
		return nil, err
	}
	streams := streambind.NewServer(conn.NewDefaultBind(), streambind.ServerOptions{MaxStreams: cfg.MaxStreams, Logger: cfg.Logger})
	wg := device.NewDevice(lk.TUN(), streams, wgLogger(cfg.Logger))
	fail := func(err error) (*Device, error) {
		wg.Close() // closes the TUN too
		return nil, errors.Join(err, lk.Teardown())
	}
	if err := wg.IpcSet(fmt.Sprintf("private_key=%s\nlisten_port=%d\n", cfg.PrivateKey.UAPIHex(), cfg.ListenPort)); err != nil {
		return fail(fmt.Errorf("wgdevice: configuring device: %w", err))
	}
	if err := wg.Up(); err != nil {
		return fail(fmt.Errorf("wgdevice: bringing device up on UDP port %d: %w", cfg.ListenPort, err))
	}
	// With ListenPort 0 only the bind knows the port it got; the UAPI says.
	uapi, err := wg.IpcGet()
	if err != nil {
		return fail(fmt.Errorf("wgdevice: reading device state: %w", err))
	}
	port, _, err := parseUAPI(uapi)
	if err != nil {
		return fail(err)
	}
	d := &Device{
		cfg:  cfg,
		log:  cfg.Logger,
		pub:  cfg.PrivateKey.Public(),
		port: port,
		link: lk,
		wg:   wg,

		streams: streams,
	}
	d.cfg.PrivateKey = wgkey.Private{}
	d.log.Info("wireguard device up", "mode", cfg.Mode, "public_key", d.pub, "listen_port", port, "address", cfg.Address, "mtu", cfg.MTU)
	return d, nil
}

// PublicKey returns the gateway's public key, which clients put in their
// peer section.
func (d *Device) PublicKey() wgkey.Public { return d.pub }

// ListenPort returns the UDP port the device listens on.
func (d *Device) ListenPort() int { return d.port }

// Streams is the device's bind: it takes over clients' TCP streams
// (Accept) and counts packets per transport (Stats).
func (d *Device) Streams() *streambind.Server { return d.streams }

// Net returns the gateway's side of the tunnel network in netstack mode, on
// which the server listens at Address (the portal on port 80, say). It is
// nil in tun mode, where the host's network stack plays that part.
func (d *Device) Net() *netstack.Net { return d.link.Net() }

// Close removes every peer, closes the UDP socket and the TUN (in tun mode
// the kernel then deletes the interface) and removes the NAT rules. It
// waits for wireguard-go's goroutines to stop. Calling it again does nothing.
func (d *Device) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	d.wg.Close()
	err := d.link.Teardown()
	d.log.Info("wireguard device closed", "public_key", d.pub)
	return err
}
