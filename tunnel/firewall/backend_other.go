//go:build !linux

package firewall

import "errors"

func newBackend(o Options) (backend, error) {
	return nil, errors.New("firewall: not supported on this OS yet")
}
