package mobileid

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/opensvpn/svpn/api"
)

// Message framing shared by every mip message.
const (
	Type    = "mip"
	Version = "1.0.0"

	CmdRequest      = "200" // in the QR: where to fetch the profile
	CmdProfile      = "310" // the verifier's signed profile
	CmdPresentation = "400" // the holder's verifiable presentation
	CmdError        = "900" // an error, either way
)

// M900 error numbers of the mip interface, and ours beyond them.
const (
	ErrUnknownTransaction = 10104
	ErrNonceMismatch      = 10111
	ErrTimeout            = 10202
	ErrVerification       = 10300 // any other refusal of the presentation; Code says which
	ErrDeclined           = 10400 // the holder declined in the app
	ErrBadMessage         = 10001
)

// MaxQRLen bounds the QR text: a QR of version 10 or less, which every
// phone camera reads from a screen across a desk.
const MaxQRLen = 300

// Header is the framing of every message.
type Header struct {
	Type    string `json:"type"`
	Version string `json:"version"`
	Cmd     string `json:"cmd"`
	TrxCode string `json:"trxcode"`
}

func header(cmd, trx string) Header {
	return Header{Type: Type, Version: Version, Cmd: cmd, TrxCode: trx}
}

// Request is M200, the QR's text: the one-time transaction code and where
// the phone fetches the profile. It holds no other secret.
type Request struct {
	Header
	Mode string `json:"mode"` // "direct": the phone talks to the verifier itself
	Host string `json:"host"` // https://host[:port] of the verifier
}

// NewRequest returns the M200 of a transaction.
func NewRequest(trx, host string) Request {
	return Request{Header: header(CmdRequest, trx), Mode: "direct", Host: host}
}

// Encode returns the QR text; it fails beyond MaxQRLen.
func (r Request) Encode() (string, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return "", err
	}
	if len(b) > MaxQRLen {
		return "", fmt.Errorf("mobileid: QR text of %d characters, at most %d", len(b), MaxQRLen)
	}
	return string(b), nil
}

// ParseRequest reads a QR's text, refusing anything but a well-formed M200.
func ParseRequest(text string) (Request, error) {
	var r Request
	if len(text) > MaxQRLen {
		return r, fmt.Errorf("mobileid: QR text of %d characters, at most %d", len(text), MaxQRLen)
	}
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, fmt.Errorf("mobileid: QR text is not an M200 message: %w", err)
	}
	if r.Type != Type || r.Version != Version || r.Cmd != CmdRequest || r.Mode != "direct" {
		return r, errors.New("mobileid: QR text is not an M200 request of this version")
	}
	if err := CheckTrxCode(r.TrxCode); err != nil {
		return r, err
	}
	if err := CheckHost(r.Host); err != nil {
		return r, err
	}
	return r, nil
}

// CheckHost accepts only an https origin: scheme, host and optional port.
func CheckHost(host string) error {
	u, err := url.Parse(host)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") ||
		u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("mobileid: host %q is not an https origin", host)
	}
	return nil
}

// TrxCodeLen is the length of a transaction code: 16 random bytes (128
// bits) in base64url.
const TrxCodeLen = 22

// CheckTrxCode accepts only a transaction code of the form the verifier
// makes.
func CheckTrxCode(trx string) error {
	if len(trx) != TrxCodeLen || !isBase64URL(trx) {
		return errors.New("mobileid: malformed transaction code")
	}
	return nil
}

func isBase64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// ProfileRequest is what the phone posts to fetch M310.
type ProfileRequest struct{ Header }

// NewProfileRequest returns the phone's request for the profile.
func NewProfileRequest(trx string) ProfileRequest {
	return ProfileRequest{header(CmdProfile, trx)}
}

// ProfileResponse is M310: the verifier's signed profile (a JWS, see
// Profile).
type ProfileResponse struct {
	Header
	Profile string `json:"profile"`
}

// NewProfileResponse wraps a signed profile.
func NewProfileResponse(trx, jws string) ProfileResponse {
	return ProfileResponse{Header: header(CmdProfile, trx), Profile: jws}
}

// PresentationRequest is M400: the holder's presentation (a JWS, see
// Presentation).
type PresentationRequest struct {
	Header
	VP string `json:"vp"`
}

// NewPresentationRequest wraps a signed presentation.
func NewPresentationRequest(trx, vp string) PresentationRequest {
	return PresentationRequest{Header: header(CmdPresentation, trx), VP: vp}
}

// PresentationResponse acknowledges an accepted M400.
type PresentationResponse struct {
	Header
	Result string `json:"result"` // "accepted"
}

// NewPresentationResponse is the verifier's acceptance.
func NewPresentationResponse(trx string) PresentationResponse {
	return PresentationResponse{Header: header(CmdPresentation, trx), Result: "accepted"}
}

// Error is M900: either side's refusal. Code is SVPN's code of the error
// catalogue, so the simulator shows the same E-number the PC does.
type Error struct {
	Header
	ErrCode int      `json:"errcode"`
	ErrMsg  string   `json:"errmsg"`
	Code    api.Code `json:"code,omitempty"`
}

// NewError builds an M900.
func NewError(trx string, errcode int, code api.Code, msg string) Error {
	return Error{Header: header(CmdError, trx), ErrCode: errcode, ErrMsg: msg, Code: code}
}

func (e *Error) Error() string {
	return fmt.Sprintf("mip %d (%s): %s", e.ErrCode, e.Code, e.ErrMsg)
}

// ErrorCode makes an M900 a coded error (api.CodeOf).
func (e *Error) ErrorCode() api.Code {
	if e.Code == "" {
		return api.CodeMobileInvalid
	}
	return e.Code
}

// ErrCodeOf is the mip number of an SVPN refusal code.
func ErrCodeOf(c api.Code) int {
	switch c {
	case api.CodeMobileUnknownTransaction:
		return ErrUnknownTransaction
	case api.CodeMobileNonceMismatch:
		return ErrNonceMismatch
	case api.CodeMobileExpired:
		return ErrTimeout
	case api.CodeMobileDeclined:
		return ErrDeclined
	case api.CodeMobileInvalid, api.CodeBadRequest:
		return ErrBadMessage
	}
	return ErrVerification
}

// CheckHeader checks a message's framing.
func CheckHeader(h Header, cmd string) error {
	if h.Type != Type || h.Version != Version || h.Cmd != cmd {
		return fmt.Errorf("mobileid: not an M%s message of version %s", cmd, Version)
	}
	return CheckTrxCode(h.TrxCode)
}
