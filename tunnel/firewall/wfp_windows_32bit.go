//go:build windows && !(amd64 || arm64)

package firewall

import "errors"

// newBackend: the WFP structures are laid out for 64-bit Windows only; a
// kill switch on 32-bit Windows is refused rather than half-made.
func newBackend(o Options) (backend, error) {
	_ = o.netnsFD // network namespaces are Linux's
	_ = validTable
	return nil, errors.New("firewall: not supported on 32-bit Windows")
}
