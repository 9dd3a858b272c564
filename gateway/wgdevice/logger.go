package wgdevice

import (
	"log/slog"

	"golang.zx2c4.com/wireguard/device"

	"github.com/opensvpn/svpn/internal/wglog"
)

func wgLogger(l *slog.Logger) *device.Logger { return wglog.New(l) }
