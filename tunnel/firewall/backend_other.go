//go:build !linux && !darwin && !windows

package firewall

import "errors"

func newBackend(o Options) (backend, error) {
	return nil, errors.New("firewall: not supported on this OS yet")
}
