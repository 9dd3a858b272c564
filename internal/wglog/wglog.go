// Package wglog routes wireguard-go's printf-style log through slog, for
// both WireGuard devices SVPN runs (the gateway's and the client's).
package wglog

import (
	"context"
	"fmt"
	"log/slog"

	"golang.zx2c4.com/wireguard/device"
)

// New returns a wireguard-go logger writing to l: verbose lines at Debug,
// errors at Warn (wireguard-go reports every lost handshake or unreachable
// endpoint as an error; none stops the device). wireguard-go names peers by
// abbreviated public key and never prints a private key, so nothing secret
// reaches the log this way.
func New(l *slog.Logger) *device.Logger {
	l = l.With("component", "wireguard-go")
	logf := func(level slog.Level) func(string, ...any) {
		return func(format string, args ...any) {
			if l.Enabled(context.Background(), level) {
				l.Log(context.Background(), level, fmt.Sprintf(format, args...))
			}
		}
	}
	return &device.Logger{Verbosef: logf(slog.LevelDebug), Errorf: logf(slog.LevelWarn)}
}
