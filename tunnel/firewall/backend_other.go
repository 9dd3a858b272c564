//go:build !linux && !darwin && !windows

package firewall

import "errors"

func newBackend(o Options) (backend, error) {
	_ = o.netnsFD // network namespaces are Linux's
	_ = validTable
	return nil, errors.New("firewall: not supported on this OS yet")
}
