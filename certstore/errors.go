package certstore

import (
	"errors"
	"io/fs"

	"github.com/opensvpn/svpn/api"
)

// Sentinel errors, one per api code, so callers can test with errors.Is
// whatever detail the returned error carries.
var (
	ErrNotFound        = &api.Error{Code: api.CodeCertNotFound}
	ErrUnreadable      = &api.Error{Code: api.CodeCertUnreadable}
	ErrCorrupt         = &api.Error{Code: api.CodeCertCorrupt}
	ErrUnsupported     = &api.Error{Code: api.CodeCertUnsupported}
	ErrWrongPassword   = &api.Error{Code: api.CodeCertPasswordWrong}
	ErrKeyMismatch     = &api.Error{Code: api.CodeCertKeyMismatch}
	ErrParamsRejected  = &api.Error{Code: api.CodeCertParamsRejected}
	ErrVIDMismatch     = &api.Error{Code: api.CodeCertVIDMismatch}
	ErrBadSignature    = &api.Error{Code: api.CodeCertSignature}
	ErrPasswordNeeded  = &api.Error{Code: api.CodeCertPasswordNeeded}
	ErrNoVID           = &api.Error{Code: api.CodeCertNoVID}
	errPasswordTooLong = api.Errorf(api.CodeCertParamsRejected, "password longer than %d bytes", maxPasswordLen)
)

// ioError turns a file-system error into a typed one: a missing file is
// cert_not_found, anything else (permissions, a drive pulled out) is
// cert_unreadable.
func ioError(path string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return api.Errorf(api.CodeCertNotFound, "%s: %w", path, err)
	}
	return api.Errorf(api.CodeCertUnreadable, "%s: %w", path, err)
}
