package api

// Tunnel codes: what can go wrong bringing the client's WireGuard tunnel up
// on this machine, or while it runs. Each one tells the helpdesk what to do,
// so they name the cause, not the call that failed.
const (
	// CodeTunnelConfig: the tunnel settings are unusable (a bad key,
	// address, route or DNS name). They come from the gateway, so this
	// points at the gateway's configuration, not at the user.
	CodeTunnelConfig Code = "tunnel_config"
	// CodeTunnelNoPrivileges: creating the TUN interface or changing routes
	// was refused. Run the SVPN service (svpnd as root / SYSTEM) or use
	// `svpnd --userspace`.
	CodeTunnelNoPrivileges Code = "tunnel_no_privileges"
	// CodeTunnelTUNMissing: the OS has no TUN driver: /dev/net/tun absent
	// or the tun module not loaded (Linux), wintun.dll or its driver missing
	// (Windows), no utun (macOS). Reinstall, or use --userspace.
	CodeTunnelTUNMissing Code = "tunnel_tun_missing"
	// CodeTunnelAddressConflict: the tunnel address is already assigned to
	// another interface of this machine.
	CodeTunnelAddressConflict Code = "tunnel_address_conflict"
	// CodeTunnelRouteConflict: a route the gateway pushes already exists on
	// this machine through another interface (typically a home network
	// that uses the office's address range).
	CodeTunnelRouteConflict Code = "tunnel_route_conflict"
	// CodeTunnelDNSFallback is a warning, not an error: the preferred DNS
	// manager (systemd-resolved, the Windows per-interface API) was not
	// available, so DNS was set another way (/etc/resolv.conf, netsh). The
	// tunnel works; split DNS may not.
	CodeTunnelDNSFallback Code = "tunnel_dns_fallback"
	// CodeTunnelDNS: the tunnel's DNS servers could not be set at all.
	CodeTunnelDNS Code = "tunnel_dns"
	// CodeTunnelDevice: the WireGuard device failed (no UDP socket, a
	// configuration the device refused).
	CodeTunnelDevice Code = "tunnel_device"
	// CodeTunnelState: the state directory that lets a restarted service
	// undo a crashed run's changes could not be written or read.
	CodeTunnelState Code = "tunnel_state"
	// CodeTunnelNotRouted: a connection was asked for to an address the
	// tunnel does not carry (split tunnel): it must go directly instead.
	CodeTunnelNotRouted Code = "tunnel_not_routed"
	// CodeTunnelClosed: the tunnel was used after it was closed.
	CodeTunnelClosed Code = "tunnel_closed"
	// CodeTunnelUnsupported: OS-level tunnels are not implemented on this
	// operating system; --userspace works everywhere.
	CodeTunnelUnsupported Code = "tunnel_unsupported"
)
