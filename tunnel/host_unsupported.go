//go:build !linux && !windows && !darwin

package tunnel

import (
	"log/slog"
	"runtime"

	"github.com/opensvpn/svpn/api"
)

// newHost fails: OS tunnels are implemented for Linux, macOS and Windows.
// Userspace tunnels work everywhere.
func newHost(*slog.Logger) (host, error) {
	return nil, api.Errorf(api.CodeTunnelUnsupported, "tunnel: OS tunnels are not supported on %s; use svpnd --userspace", runtime.GOOS)
}
