// Package api holds what crosses a process boundary in SVPN: the wire types of
// the gateway API and of the daemon's local API, and the stable error codes
// both sides and every front end agree on.
package api

import (
	"errors"
	"fmt"
)

// Code is a stable, machine-readable error code. Codes never change meaning
// once shipped: scripts, the helpdesk and the error catalogue (catalog.go)
// key on them.
type Code string

// Error is an error that carries a Code. Message is English text for logs
// and developers; user-facing text comes from the error catalogue (Explain,
// Describe).
type Error struct {
	Code    Code
	Message string
	Err     error // underlying cause, may be nil
}

func (e *Error) Error() string {
	switch {
	case e.Message != "" && e.Err != nil:
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	case e.Message != "":
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	case e.Err != nil:
		return fmt.Sprintf("%s: %v", e.Code, e.Err)
	}
	return string(e.Code)
}

func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, &api.Error{Code: X}) and sentinel errors work through wrapping.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Errorf returns an *Error with the given code and a formatted message. A %w
// verb in format makes the wrapped error the cause.
func Errorf(code Code, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	e := &Error{Code: code, Message: err.Error()}
	if u := errors.Unwrap(err); u != nil {
		e.Err = u
		// Keep Message free of the cause's text: Error() appends it.
		e.Message = trimCause(e.Message, u.Error())
	}
	return e
}

func trimCause(msg, cause string) string {
	if len(msg) >= len(cause)+2 && msg[len(msg)-len(cause):] == cause {
		m := msg[:len(msg)-len(cause)]
		for len(m) > 0 && (m[len(m)-1] == ' ' || m[len(m)-1] == ':') {
			m = m[:len(m)-1]
		}
		return m
	}
	return msg
}

// CodedError is an error that carries a Code: *Error, a gateway refusal as
// the client receives it (gatewayapi.Error) and as the gateway builds it.
// CodeOf finds it anywhere in an error chain.
type CodedError interface {
	error
	ErrorCode() Code
}

// ErrorCode returns e.Code.
func (e *Error) ErrorCode() Code { return e.Code }

// CodeOf returns the code of the first CodedError in err's chain, or
// CodeInternal when there is none (and "" for a nil error). It is the one
// extractor of codes: front ends, the daemon and the gateway all use it.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e CodedError
	if errors.As(err, &e) {
		return e.ErrorCode()
	}
	return CodeInternal
}

// RefusalOf returns the full refusal (violations, attempts left, install
// URL …) carried by the first error in err's chain that has one, that is
// by a method RefusalResponse() *ErrorResponse (gatewayapi.Error).
func RefusalOf(err error) (*ErrorResponse, bool) {
	var r interface{ RefusalResponse() *ErrorResponse }
	if err == nil || !errors.As(err, &r) {
		return nil, false
	}
	resp := r.RefusalResponse()
	return resp, resp != nil
}

// Generic codes.
const (
	CodeInternal   Code = "internal"
	CodeBadRequest Code = "bad_request"
)

// Certificate store codes: what can go wrong finding, reading and unlocking a
// certificate on the user's machine.
const (
	CodeCertNotFound       Code = "cert_not_found"       // no certificate at the given path
	CodeCertUnreadable     Code = "cert_unreadable"      // I/O error: permissions, drive removed
	CodeCertCorrupt        Code = "cert_corrupt"         // file is not a valid certificate or key
	CodeCertUnsupported    Code = "cert_unsupported"     // an algorithm or format we do not implement
	CodeCertPasswordWrong  Code = "cert_password_wrong"  // the certificate password is wrong
	CodeCertKeyMismatch    Code = "cert_key_mismatch"    // the key file belongs to another certificate
	CodeCertParamsRejected Code = "cert_params_rejected" // absurd parameters, e.g. iteration counts
	CodeCertVIDMismatch    Code = "cert_vid_mismatch"    // identity (VID) check failed
	CodeCertNoVID          Code = "cert_no_vid"          // certificate or key lacks what a VID check needs
)

// More certificate store codes.
const (
	CodeCertPasswordNeeded Code = "cert_password_needed" // a PKCS#12 file whose certificate is itself encrypted
	CodeCertSignature      Code = "cert_signature"       // a signature does not verify
)
