package api

import (
	"time"
)

// Gateway API v1: HTTPS + JSON. Paths are fixed; a client refuses a gateway
// whose Info.APIVersion it does not speak.
const (
	APIVersion = 1

	PathInfo      = "/api/v1/info"
	PathChallenge = "/api/v1/auth/challenge"
	PathLogin     = "/api/v1/auth/login"
	PathPassword  = "/api/v1/auth/password"
	PathHeartbeat = "/api/v1/session/heartbeat"
	PathLogout    = "/api/v1/session/logout"
)

// APIVersionHeader carries the API version a client speaks on every
// request. Bodies of either side may gain fields (each side ignores those it
// does not know); a change the other side must understand raises
// APIVersion, and a gateway refuses a client newer than itself with
// CodeAPIVersion.
const APIVersionHeader = "SVPN-API-Version"

// MaxRequestBody bounds every request body the gateway reads: a login with
// a 4096-bit certificate chain is under 16 KiB.
const MaxRequestBody = 64 << 10

// Info is GET /api/v1/info: what a client shows before login.
type Info struct {
	APIVersion          int                  `json:"api_version"`
	GatewayID           string               `json:"gateway_id"`
	Name                string               `json:"name"`
	Banner              string               `json:"banner,omitempty"`
	PortalURL           string               `json:"portal_url,omitempty"`
	Helpdesk            string               `json:"helpdesk,omitempty"`
	PasswordRules       PasswordRules        `json:"password_rules"`
	Posture             PosturePolicy        `json:"posture"`
	SignatureAlgorithms []SignatureAlgorithm `json:"signature_algorithms"`
}

// PasswordRules are the account password policy, so a client can check as
// the user types; the gateway decides.
type PasswordRules struct {
	MinLength       int    `json:"min_length"`
	MaxLength       int    `json:"max_length"`
	RequireLetter   bool   `json:"require_letter"`
	RequireDigit    bool   `json:"require_digit"`
	RequireSpecial  bool   `json:"require_special"`
	Specials        string `json:"specials"`
	MaxRepeated     int    `json:"max_repeated"` // no character more than this many times in a row
	ForbidUserID    bool   `json:"forbid_user_id"`
	ForbidReuseLast bool   `json:"forbid_reuse_last"`
}

// PosturePolicy says what the device must report.
type PosturePolicy struct {
	RequireAntivirus bool   `json:"require_antivirus"`
	InstallURL       string `json:"install_url,omitempty"` // antivirus installer for staff
}

// ChallengeRequest is POST /api/v1/auth/challenge.
type ChallengeRequest struct {
	UserID      string `json:"user_id"`
	WGPublicKey string `json:"wg_public_key"` // base64, as `wg` prints it
}

// ChallengeResponse carries a nonce bound to the user, the WireGuard key,
// the gateway and the time. It carries nothing to sign: the client builds
// the signed bytes itself (LoginBinding.Message).
type ChallengeResponse struct {
	Challenge string    `json:"challenge"`
	GatewayID string    `json:"gateway_id"` // informative; the client signs the ID pinned in its profile
	ExpiresAt time.Time `json:"expires_at"`
	// IdentityCheck asks for VIDRandom: the gateway binds certificates at
	// first login and checks the holder's identity number.
	IdentityCheck bool `json:"identity_check,omitempty"`
}

// Device describes the client machine, for the audit log and helpdesk.
type Device struct {
	Hostname      string `json:"hostname,omitempty"`
	OS            string `json:"os,omitempty"`         // linux, windows, darwin
	OSVersion     string `json:"os_version,omitempty"` // e.g. "Windows 11 23H2"
	ClientVersion string `json:"client_version,omitempty"`
}

// Posture is the device's security report.
type Posture struct {
	Antivirus []Antivirus `json:"antivirus"`
}

// Antivirus is one installed antivirus product.
type Antivirus struct {
	Name     string `json:"name"`
	Enabled  bool   `json:"enabled"`
	UpToDate bool   `json:"up_to_date"`
}

// LoginRequest is POST /api/v1/auth/login.
type LoginRequest struct {
	Challenge          string             `json:"challenge"`
	UserID             string             `json:"user_id"`
	Password           string             `json:"password"`
	NewPassword        string             `json:"new_password,omitempty"` // answers password_change_required in the same request
	Certificate        []byte             `json:"certificate"`            // DER, base64 in JSON
	Signature          []byte             `json:"signature"`
	SignatureAlgorithm SignatureAlgorithm `json:"signature_algorithm"`
	WGPublicKey        string             `json:"wg_public_key"`
	Device             Device             `json:"device"`
	Posture            Posture            `json:"posture"`
	// VIDRandom is R from the holder's NPKI key (KCAC.TS.SIVID), sent only
	// when the challenge asked for it (IdentityCheck): with the identity
	// number an administrator registered, it proves a first-login binding.
	VIDRandom []byte `json:"vid_random,omitempty"`
}

// Tunnel is what the client configures its WireGuard interface with.
type Tunnel struct {
	Address         string   `json:"address"` // the client's address with prefix, e.g. 10.77.0.5/32
	ServerPublicKey string   `json:"server_public_key"`
	Endpoint        string   `json:"endpoint"`      // host:port of the gateway's WireGuard socket
	Routes          []string `json:"routes"`        // prefixes to send through the tunnel
	DNS             []string `json:"dns,omitempty"` // resolvers inside the tunnel
	SearchDomains   []string `json:"search_domains,omitempty"`
	MTU             int      `json:"mtu"`
	Keepalive       int      `json:"keepalive"` // seconds
	// KillSwitch and AllowLAN are the group's always-on policy; the
	// stricter of it and the profile's applies (see AlwaysOn.Merge).
	KillSwitch bool `json:"kill_switch,omitempty"`
	AllowLAN   bool `json:"allow_lan,omitempty"`
	// NoCaptiveExemption: the group forbids captive-portal exemptions of
	// the kill switch, whatever the profile allows.
	NoCaptiveExemption bool `json:"no_captive_exemption,omitempty"`
}

// LoginResponse is a successful login.
type LoginResponse struct {
	SessionID         string    `json:"session_id"`
	SessionToken      string    `json:"session_token"` // secret: Authorization: Bearer on session calls
	UserID            string    `json:"user_id"`
	DisplayName       string    `json:"display_name,omitempty"`
	ExpiresAt         time.Time `json:"expires_at"`
	IdleExpiresAt     time.Time `json:"idle_expires_at"`
	HeartbeatInterval int       `json:"heartbeat_interval"` // seconds
	Tunnel            Tunnel    `json:"tunnel"`
	PortalURL         string    `json:"portal_url,omitempty"`
	Banner            string    `json:"banner,omitempty"`
}

// PasswordChangeRequest is POST /api/v1/auth/password: a voluntary change
// inside a live session (Authorization: Bearer), with the current password.
// A password the administrator set is changed only inside a login
// (LoginRequest.NewPassword).
type PasswordChangeRequest struct {
	UserID      string `json:"user_id"`
	OldPassword string `json:"old_password"`
	NewPassword string `json:"new_password"`
}

// SessionStatus answers a heartbeat.
type SessionStatus struct {
	SessionID     string    `json:"session_id"`
	ExpiresAt     time.Time `json:"expires_at"`
	IdleExpiresAt time.Time `json:"idle_expires_at"`
}

// ErrorResponse is every refusal: a stable code and English text, plus the
// details a client needs to act.
type ErrorResponse struct {
	Code              Code        `json:"code"`
	Message           string      `json:"message"`
	Violations        []Violation `json:"violations,omitempty"`         // password_policy
	InstallURL        string      `json:"install_url,omitempty"`        // posture_failed
	RemainingAttempts int         `json:"remaining_attempts,omitempty"` // bad_credentials
	EndReason         EndReason   `json:"end_reason,omitempty"`         // session_ended
	RetryAfter        int         `json:"retry_after,omitempty"`        // rate_limited, seconds
}

// Violation is one broken password rule.
type Violation struct {
	Rule    string `json:"rule"` // length, letter, digit, special, same_as_old, contains_user_id, repeated_chars, invalid_chars
	Message string `json:"message"`
}

// Gateway refusal codes.
const (
	CodeBadCredentials           Code = "bad_credentials"
	CodeAccountLocked            Code = "account_locked"
	CodePasswordChangeRequired   Code = "password_change_required"
	CodePasswordPolicy           Code = "password_policy"
	CodeCertificateExpired       Code = "certificate_expired"
	CodeCertificateNotYetValid   Code = "certificate_not_yet_valid"
	CodeCertificateUntrusted     Code = "certificate_untrusted"
	CodeCertificateRevoked       Code = "certificate_revoked"
	CodeCertificateNotRegistered Code = "certificate_not_registered"
	CodeCertificateWrongPurpose  Code = "certificate_wrong_purpose"
	// CodeCertificateIdentityMismatch: a first-login binding refused because
	// the certificate's holder (name, or VID with the registered identity
	// number) is not the account's person.
	CodeCertificateIdentityMismatch Code = "certificate_identity_mismatch"
	CodeSignatureInvalid            Code = "signature_invalid"
	CodeChallengeInvalid            Code = "challenge_invalid" // expired, forged, or for another user/key/gateway
	CodeChallengeReplayed           Code = "challenge_replayed"
	CodePostureFailed               Code = "posture_failed"
	CodeSessionLimit                Code = "session_limit"
	CodeSessionEnded                Code = "session_ended"
	CodeUnauthorized                Code = "unauthorized"
	CodeRateLimited                 Code = "rate_limited"
	CodePoolExhausted               Code = "pool_exhausted"
	CodeUnavailable                 Code = "unavailable"
	CodeAPIVersion                  Code = "api_version_unsupported" // the client needs a newer gateway
)
