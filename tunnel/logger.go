package tunnel

import (
	"context"
	"fmt"
	"log/slog"

	"golang.zx2c4.com/wireguard/device"
)

// orDiscard returns l, or a logger that drops everything when l is nil.
func orDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

// wgLogger routes wireguard-go's printf-style log through slog: its verbose
// lines at Debug, its errors at Warn (wireguard-go reports every lost
// handshake or unreachable endpoint as an error; none stops the device).
// wireguard-go names peers by abbreviated public key and never prints a
// private key, so nothing secret reaches the log this way.
func wgLogger(l *slog.Logger) *device.Logger {
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
