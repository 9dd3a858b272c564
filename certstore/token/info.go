package token

import (
	"errors"
	"fmt"

	"github.com/opensvpn/svpn/api"
)

// PKCS#11 values this package reads, from the specification (v2.40), so
// the logic that uses them builds and is tested without cgo.
const (
	ckfLoginRequired     = 0x00000004
	ckfUserPINInitalized = 0x00000008
	ckfTokenInitialized  = 0x00000400
	ckfUserPINCountLow   = 0x00010000
	ckfUserPINFinalTry   = 0x00020000
	ckfUserPINLocked     = 0x00040000

	ckrSlotIDInvalid        = 0x003
	ckrObjectHandleInvalid  = 0x082
	ckrDeviceError          = 0x030
	ckrDeviceMemory         = 0x031
	ckrDeviceRemoved        = 0x032
	ckrSessionClosed        = 0x0B0
	ckrSessionHandleInvalid = 0x0B3
	ckrPINIncorrect         = 0x0A0
	ckrPINInvalid           = 0x0A1
	ckrPINLenRange          = 0x0A2
	ckrPINLocked            = 0x0A4
	ckrTokenNotPresent      = 0x0E0
	ckrTokenNotRecognized   = 0x0E1
	ckrUserNotLoggedIn      = 0x101
)

// TokenInfo describes a token present in a slot (CK_TOKEN_INFO).
type TokenInfo struct {
	Module       Module `json:"-"`
	Slot         uint   `json:"slot"`
	Label        string `json:"label"`
	Manufacturer string `json:"manufacturer"`
	Model        string `json:"model"`
	Serial       string `json:"serial"`
	Flags        uint   `json:"flags"`
	MinPIN       uint   `json:"min_pin"`
	MaxPIN       uint   `json:"max_pin"`
}

// PINState is what the token's flags say about its user PIN.
type PINState int

const (
	PINOK       PINState = iota
	PINCountLow          // a wrong PIN was entered since the last good login
	PINFinalTry          // one more wrong PIN locks the token
	PINLocked            // locked: only the security officer can reset it
)

// PINStateOf reads CKF_USER_PIN_LOCKED / FINAL_TRY / COUNT_LOW, the worst
// first: PKCS#11 tells no number of tries, only these three steps.
func PINStateOf(flags uint) PINState {
	switch {
	case flags&ckfUserPINLocked != 0:
		return PINLocked
	case flags&ckfUserPINFinalTry != 0:
		return PINFinalTry
	case flags&ckfUserPINCountLow != 0:
		return PINCountLow
	}
	return PINOK
}

func (s PINState) String() string {
	switch s {
	case PINOK:
		return "ok"
	case PINCountLow:
		return "count_low"
	case PINFinalTry:
		return "final_try"
	case PINLocked:
		return "locked"
	}
	return fmt.Sprintf("PINState(%d)", int(s))
}

// PINState of the token.
func (t TokenInfo) PINState() PINState { return PINStateOf(t.Flags) }

// PINError is a refused or locked PIN, with what the token's flags said
// right after: the front ends show the tries-left warning from State.
type PINError struct {
	Code  api.Code // token_pin_wrong or token_pin_locked
	State PINState
	Err   error
}

func (e *PINError) Error() string {
	s := fmt.Sprintf("%s: the token refused the PIN (PIN state %s)", e.Code, e.State)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}
func (e *PINError) Unwrap() error        { return e.Err }
func (e *PINError) ErrorCode() api.Code  { return e.Code }
func (e *PINError) Is(target error) bool { t, ok := target.(*api.Error); return ok && t.Code == e.Code }

// CKRError is a PKCS#11 return value (CKR_…), as the module gave it.
type CKRError uint

func (e CKRError) Error() string { return fmt.Sprintf("PKCS#11 error 0x%X", uint(e)) }

// ckrOf finds the PKCS#11 return value in err's chain.
func ckrOf(err error) (uint, bool) {
	var c CKRError
	if errors.As(err, &c) {
		return uint(c), true
	}
	if v, ok := ckrFromLib(err); ok {
		return v, true
	}
	return 0, false
}

// classify gives a PKCS#11 failure its code: a token pulled out, a PIN
// problem, anything else token_failed.
func classify(what string, err error) error {
	if err == nil {
		return nil
	}
	var ae *api.Error
	var pe *PINError
	if errors.As(err, &pe) || (errors.As(err, &ae) && ae.Code != api.CodeInternal) {
		return err
	}
	v, _ := ckrOf(err)
	switch v {
	// A key handle that was valid a moment ago and is not now: the token
	// went away with it (SoftHSM says this when its files go).
	case ckrDeviceRemoved, ckrTokenNotPresent, ckrSessionClosed, ckrSessionHandleInvalid, ckrSlotIDInvalid, ckrTokenNotRecognized, ckrObjectHandleInvalid:
		return api.Errorf(api.CodeTokenRemoved, "%s: %w", what, err)
	case ckrPINLocked:
		return &PINError{Code: api.CodeTokenPINLocked, State: PINLocked, Err: err}
	case ckrPINLenRange, ckrPINInvalid:
		return api.Errorf(api.CodeTokenPINInvalid, "%s: %w", what, err)
	}
	return api.Errorf(api.CodeTokenFailed, "%s: %w", what, err)
}
