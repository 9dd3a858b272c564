package tunnel

import (
	"log/slog"

	"golang.zx2c4.com/wireguard/device"

	"github.com/opensvpn/svpn/internal/wglog"
)

// orDiscard returns l, or a logger that drops everything when l is nil.
func orDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

func wgLogger(l *slog.Logger) *device.Logger { return wglog.New(l) }
