//go:build !linux

package wgdevice

import (
	"errors"
	"fmt"
	"runtime"
)

// openTUN fails: the gateway's kernel TUN, its addressing and its NAT are
// implemented for Linux only. Netstack mode works everywhere.
func openTUN(cfg Config) (link, error) {
	return nil, fmt.Errorf("wgdevice: tun mode is unsupported on this OS (%s); use netstack mode: %w", runtime.GOOS, errors.ErrUnsupported)
}
