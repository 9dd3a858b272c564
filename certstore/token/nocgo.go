//go:build !cgo

package token

import (
	"context"

	"github.com/opensvpn/svpn/api"
)

var errUnsupported = api.Errorf(api.CodeTokenUnsupported, "this build has no security token (PKCS#11) support: it was built without cgo, so no token is listed or used")

func ckrFromLib(error) (uint, bool) { return 0, false }

// probeKey: nothing is probed without cgo.
type probeKey struct{}

// Supported reports whether this build can use security tokens.
func Supported() bool { return false }

func (m *Manager) list(ctx context.Context) Result {
	return Result{Errors: []error{errUnsupported}}
}

func (m *Manager) unlock(ctx context.Context, u *URI, pin []byte) (*Identity, error) {
	return nil, errUnsupported
}

func (id *Identity) close() error { return nil }
