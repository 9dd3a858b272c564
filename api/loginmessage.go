package api

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
)

// LoginMessageLabel starts every signed login message. It names protocol and
// version, so the bytes can never be mistaken for a document of another
// protocol (CMS and XML signatures start with other bytes) and a signature
// cannot be replayed into another context.
const LoginMessageLabel = "SVPN-LOGIN-V2"

// ChannelBindingLabel is the RFC 9266 tls-exporter label; the channel binding
// is the 32-byte TLS exporter of the connection the login is sent on.
const ChannelBindingLabel = "EXPORTER-Channel-Binding"

// ChannelBindingLen is the length of a tls-exporter channel binding.
const ChannelBindingLen = 32

// MaxChallengeLen bounds a challenge; the gateway's are 76 characters.
const MaxChallengeLen = 128

// LoginBinding is everything a login signature covers. An NPKI signature is
// legally binding, so the client assembles the signed bytes itself from
// values it knows — never bytes a server supplies:
//
//   - GatewayID is the ID pinned in the installed profile, not the one a
//     server claims;
//   - UserID is what the user typed;
//   - WGPublicKey is the daemon's own fresh WireGuard key;
//   - Challenge is the gateway's nonce, accepted only as a short base64url
//     string, so a malicious gateway chooses no meaningful text;
//   - ChannelBinding is the TLS exporter of the connection the login travels
//     on, so a signature a malicious gateway relays to a real one fails
//     there: the real gateway's connection has another exporter.
type LoginBinding struct {
	GatewayID      string `json:"gateway_id"`
	UserID         string `json:"user_id"`
	WGPublicKey    string `json:"wg_public_key"`
	Challenge      string `json:"challenge"`
	ChannelBinding []byte `json:"channel_binding"`
}

// Message returns the bytes a certificate key signs to log in, after
// checking every field:
//
//	"SVPN-LOGIN-V2\n"
//	"gateway_id=" GatewayID "\n"
//	"user_id=" UserID "\n"
//	"wg_public_key=" WGPublicKey "\n"
//	"challenge=" Challenge "\n"
//	"tls_exporter=" base64url(ChannelBinding, no padding) "\n"
//
// GatewayID is 1–64 printable ASCII characters, UserID 1–64 characters
// without control characters, WGPublicKey the standard base64 of 32 bytes,
// Challenge 1–128 base64url characters, ChannelBinding exactly 32 bytes.
// Both sides call Message, so a field that breaks a rule can never be
// signed or accepted.
func (b LoginBinding) Message() ([]byte, error) {
	if err := b.Check(); err != nil {
		return nil, err
	}
	var m bytes.Buffer
	m.WriteString(LoginMessageLabel + "\n")
	for _, f := range [][2]string{
		{"gateway_id", b.GatewayID},
		{"user_id", b.UserID},
		{"wg_public_key", b.WGPublicKey},
		{"challenge", b.Challenge},
		{"tls_exporter", base64.RawURLEncoding.EncodeToString(b.ChannelBinding)},
	} {
		m.WriteString(f[0] + "=" + f[1] + "\n")
	}
	return m.Bytes(), nil
}

// Check validates every field of b.
func (b LoginBinding) Check() error {
	if err := b.CheckGatewayID(); err != nil {
		return err
	}
	if err := CheckUserID(b.UserID); err != nil {
		return err
	}
	if k, err := base64.StdEncoding.DecodeString(b.WGPublicKey); err != nil || len(k) != 32 {
		return Errorf(CodeBadRequest, "login binding: wg_public_key: not a WireGuard public key")
	}
	if n := len(b.Challenge); n == 0 || n > MaxChallengeLen || strings.IndexFunc(b.Challenge, notBase64URL) >= 0 {
		return Errorf(CodeBadRequest, "login binding: challenge: 1 to %d base64url characters", MaxChallengeLen)
	}
	if len(b.ChannelBinding) != ChannelBindingLen {
		return Errorf(CodeBadRequest, "login binding: channel binding: %d bytes, want %d", len(b.ChannelBinding), ChannelBindingLen)
	}
	return nil
}

func (b LoginBinding) CheckGatewayID() error {
	if n := len(b.GatewayID); n == 0 || n > 64 || strings.IndexFunc(b.GatewayID, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
		return Errorf(CodeBadRequest, "login binding: gateway ID %q: 1 to 64 printable ASCII characters", b.GatewayID)
	}
	return nil
}

func notBase64URL(r rune) bool {
	return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_')
}

// CheckUserID refuses IDs the admin CLI could not have created and that
// would break the signed message's framing: empty, over 64 bytes, or with
// control characters.
func CheckUserID(id string) error {
	if id == "" || len(id) > 64 {
		return Errorf(CodeBadRequest, "user_id: 1 to 64 characters")
	}
	for _, r := range id {
		if r < 0x20 || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029 {
			return Errorf(CodeBadRequest, "user_id: control characters are not allowed")
		}
	}
	return nil
}

// String describes the binding for logs without the exporter.
func (b LoginBinding) String() string {
	return fmt.Sprintf("login binding %s/%s", b.GatewayID, b.UserID)
}
