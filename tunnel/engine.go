package tunnel

import (
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"

	"golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/tun"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/wgkey"
)

// errClosed is returned by calls on a closed tunnel.
var errClosed = &api.Error{Code: api.CodeTunnelClosed, Message: "tunnel: closed"}

// engine is the wireguard-go device both forms of tunnel share: the packet
// side (netstack or a kernel TUN) differs, the peer does not. It is driven
// through wireguard-go's UAPI, the protocol wg(8) speaks, so what it does
// can be reproduced and inspected with wg itself.
type engine struct {
	dev    *device.Device
	server wgkey.Public
	cfg    Config // for rekey; its private key is never logged
	log    *slog.Logger

	// mu orders UAPI calls against close: they hold it for reading, close
	// for writing, so none runs on a device being torn down.
	mu     sync.RWMutex
	closed bool
}

// startEngine starts a device on tdev with the gateway as its only peer and
// brings it up. The device owns tdev from then on: closing the engine closes
// it, and so does a failed start.
func startEngine(tdev tun.Device, cfg Config, log *slog.Logger) (*engine, error) {
	bind := cfg.Bind
	if bind == nil {
		bind = conn.NewDefaultBind()
	}
	dev := device.NewDevice(tdev, bind, wgLogger(log))
	if err := dev.IpcSet(uapiConfig(cfg)); err != nil {
		dev.Close()
		// Not %w of the UAPI error text alone: it says which key failed,
		// which is what matters, and never echoes the value.
		return nil, api.Errorf(api.CodeTunnelDevice, "tunnel: configuring the WireGuard device: %w", err)
	}
	if err := dev.Up(); err != nil {
		dev.Close()
		return nil, api.Errorf(api.CodeTunnelDevice, "tunnel: bringing the WireGuard device up (UDP socket): %w", err)
	}
	e := &engine{dev: dev, server: cfg.ServerPublicKey, cfg: cfg, log: log}
	log.Info("wireguard device up", "server_public_key", cfg.ServerPublicKey, "endpoint", cfg.Endpoint,
		"address", cfg.Address, "routes", cfg.Routes, "mtu", cfg.MTU)
	return e, nil
}

// uapiConfig is the UAPI "set" operation for cfg: the client's key, a random
// listen port, and the gateway as the one peer, allowed exactly the pushed
// routes. It holds the private key: it must never be logged.
func uapiConfig(cfg Config) string {
	return fmt.Sprintf("private_key=%s\nlisten_port=0\nreplace_peers=true\n", cfg.PrivateKey.UAPIHex()) + peerConfig(cfg, cfg.Endpoint)
}

// peerConfig is the UAPI section of the gateway peer (no secret in it).
func peerConfig(cfg Config, ep netip.AddrPort) string {
	var b strings.Builder
	fmt.Fprintf(&b, "public_key=%s\nendpoint=%s\npersistent_keepalive_interval=%d\nreplace_allowed_ips=true\n",
		cfg.ServerPublicKey.Hex(), ep, int(cfg.Keepalive.Seconds()))
	for _, p := range cfg.Routes {
		fmt.Fprintf(&b, "allowed_ip=%s\n", p)
	}
	return b.String()
}

// stats reads the gateway peer's counters.
func (e *engine) stats() (Stats, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return Stats{}, errClosed
	}
	uapi, err := e.dev.IpcGet()
	if err != nil {
		return Stats{}, api.Errorf(api.CodeTunnelDevice, "tunnel: reading device state: %w", err)
	}
	st, ok, err := parsePeerStats(uapi, e.server)
	if err != nil {
		return Stats{}, api.Errorf(api.CodeTunnelDevice, "tunnel: %w", err)
	}
	if !ok {
		return Stats{}, api.Errorf(api.CodeTunnelDevice, "tunnel: the gateway peer %v is missing from the device", e.server)
	}
	return st, nil
}

// setEndpoint re-points the gateway peer. Its keys and counters are kept,
// so the next packet goes to ep under the current session; no handshake is
// needed unless the gateway behind ep lost the session.
func (e *engine) setEndpoint(ep netip.AddrPort) error {
	if !ep.IsValid() || ep.Port() == 0 || ep.Addr().IsUnspecified() {
		return api.Errorf(api.CodeTunnelConfig, "tunnel: invalid endpoint %v", ep)
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return errClosed
	}
	ep = netip.AddrPortFrom(ep.Addr().Unmap(), ep.Port())
	if err := e.dev.IpcSet(fmt.Sprintf("public_key=%s\nupdate_only=true\nendpoint=%s\n", e.server.Hex(), ep)); err != nil {
		return api.Errorf(api.CodeTunnelDevice, "tunnel: setting endpoint %v: %w", ep, err)
	}
	e.log.Info("endpoint updated", "endpoint", ep)
	return nil
}

// rekey drops the gateway peer's session keys by removing and re-adding
// the peer at its current endpoint, so the next packet starts a fresh
// handshake. After a gateway restart the gateway no longer knows the old
// session, and WireGuard alone would take ~15 s to notice.
func (e *engine) rekey() error {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return errClosed
	}
	ep := e.cfg.Endpoint
	if uapi, err := e.dev.IpcGet(); err == nil {
		if st, ok, err := parsePeerStats(uapi, e.server); err == nil && ok {
			if cur, err := netip.ParseAddrPort(st.Endpoint); err == nil {
				ep = cur
			}
		}
	}
	if err := e.dev.IpcSet(fmt.Sprintf("public_key=%s\nremove=true\n", e.server.Hex())); err != nil {
		return api.Errorf(api.CodeTunnelDevice, "tunnel: removing the gateway peer: %w", err)
	}
	if err := e.dev.IpcSet(peerConfig(e.cfg, ep)); err != nil {
		return api.Errorf(api.CodeTunnelDevice, "tunnel: re-adding the gateway peer: %w", err)
	}
	e.log.Info("gateway peer re-keyed", "endpoint", ep)
	return nil
}

// close closes the device and its TUN and waits for wireguard-go's
// goroutines. It reports whether this call closed it.
func (e *engine) close() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	e.closed = true
	e.dev.Close()
	return true
}
