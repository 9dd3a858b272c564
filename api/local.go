package api

import "time"

// The daemon's local API: HTTP + JSON over a unix socket or a Windows named
// pipe, svpnd's one front door. svpnctl and the desktop app use it; they
// hold no connection state of their own and watch the daemon's.
const (
	LocalPathStatus      = "/localapi/v1/status"
	LocalPathWatch       = "/localapi/v1/watch" // newline-delimited Status objects, the current one first
	LocalPathLoginBegin  = "/localapi/v1/login/begin"
	LocalPathLoginFinish = "/localapi/v1/login/finish"
	LocalPathLoginCancel = "/localapi/v1/login/cancel"
	LocalPathLogout      = "/localapi/v1/logout"
	LocalPathPassword    = "/localapi/v1/password"
	LocalPathProfile     = "/localapi/v1/profile"
	LocalPathDiag        = "/localapi/v1/diag"
	LocalPathDiagBundle  = "/localapi/v1/diag/bundle" // application/zip, secrets redacted
	// LocalPathCaptiveExempt (POST) opens the kill switch for a captive
	// portal's sign-in page, where the profile allows it; answers Status.
	LocalPathCaptiveExempt = "/localapi/v1/captive/exempt"
)

// State is the connection state. The daemon is its single source of truth.
// A failure is not a state of its own: the state falls back to
// disconnected (or password_change_required) and Status.LastErrorCode and
// LastError say what failed.
type State string

const (
	StateDisconnected           State = "disconnected"
	StateAuthenticating         State = "authenticating"
	StatePasswordChangeRequired State = "password_change_required"
	StateConnecting             State = "connecting"
	StateConnected              State = "connected"
	StateReconnecting           State = "reconnecting" // gateway or network lost; the tunnel is kept while the session is valid
)

// Status is the daemon's state as front ends show it. Its JSON form is the
// contract of `svpnctl status --json`.
type Status struct {
	Seq              uint64    `json:"seq"` // increases with every change
	State            State     `json:"state"`
	Gateway          string    `json:"gateway"` // gateway URL of the profile
	GatewayName      string    `json:"gateway_name,omitempty"`
	User             string    `json:"user,omitempty"`
	DisplayName      string    `json:"display_name,omitempty"`
	Address          string    `json:"address,omitempty"` // the tunnel address, e.g. 10.77.0.2/32
	Endpoint         string    `json:"endpoint,omitempty"`
	Since            time.Time `json:"since,omitzero"`              // when State was entered
	ConnectedAt      time.Time `json:"connected_at,omitzero"`       // when the tunnel came up
	SessionExpiresAt time.Time `json:"session_expires_at,omitzero"` // absolute session expiry
	ExpiringSoon     bool      `json:"expiring_soon,omitempty"`     // under SessionWarning left
	PortalURL        string    `json:"portal_url,omitempty"`
	PortalLocalURL   string    `json:"portal_local_url,omitempty"` // userspace mode: the loopback URL forwarding to the portal, with the session's token (?svpn_token=…): open it as is
	ProxyAddr        string    `json:"proxy_addr,omitempty"`       // userspace mode: SOCKS5/HTTP proxy into the tunnel (host:port; it wants ProxyURL's credentials)
	Userspace        bool      `json:"userspace"`
	Routes           []string  `json:"routes,omitempty"`
	DNS              []string  `json:"dns,omitempty"`
	DNSMethod        string    `json:"dns_method,omitempty"` // resolved, resolv.conf, none …
	MTU              int       `json:"mtu,omitempty"`
	Banner           string    `json:"banner,omitempty"`
	LastErrorCode    Code      `json:"last_error_code,omitempty"`
	LastError        string    `json:"last_error,omitempty"`
	EndReason        EndReason `json:"end_reason,omitempty"` // why the gateway ended the last session
	LastHandshake    time.Time `json:"last_handshake,omitzero"`
	RxBytes          uint64    `json:"rx_bytes,omitempty"`
	TxBytes          uint64    `json:"tx_bytes,omitempty"`
	// ProxyURL and SOCKSURL are the userspace proxy with the session's
	// credentials: http://svpn:PASSWORD@127.0.0.1:1080 and
	// socks5://svpn:PASSWORD@127.0.0.1:1080. Like PortalLocalURL's token
	// they are given to the session's owner and root only, and are never
	// part of Diagnostics.
	ProxyURL string `json:"proxy_url,omitempty"`
	SOCKSURL string `json:"socks_url,omitempty"`
	// OtherUser: the session (or login) is another local user's; svpnd
	// withholds its details and this status has only the state and the
	// gateway.
	OtherUser bool `json:"other_user,omitempty"`
	// Transport is how the tunnel's packets travel now ("udp" or "tcp",
	// empty while no tunnel is up), and TransportReason why (ReasonUDPBlocked …).
	Transport       Transport `json:"transport,omitempty"`
	TransportReason string    `json:"transport_reason,omitempty"`
	// KillSwitch: the kill switch is in force (always on): nothing leaves
	// the PC outside the tunnel until the user logs out.
	KillSwitch bool `json:"kill_switch"`
	// CaptiveExemptUntil: a captive-portal exemption is open until then.
	CaptiveExemptUntil time.Time `json:"captive_exempt_until,omitzero"`
}

// SessionWarning is how long before the session's expiry front ends warn.
const SessionWarning = 10 * time.Minute

// LoginBeginRequest starts a login: the daemon fetches a challenge bound to
// its own WireGuard key.
type LoginBeginRequest struct {
	UserID string `json:"user_id"`
}

// LoginBeginResponse is what the front end signs with the certificate key,
// which never leaves the front end's process: the bytes of
// Binding.Message(), which the front end builds itself.
type LoginBeginResponse struct {
	LoginID   string       `json:"login_id"`
	Binding   LoginBinding `json:"binding"`
	ExpiresAt time.Time    `json:"expires_at"`
}

// LoginCancelRequest abandons a login started with LoginBegin that the
// front end cannot finish (the key could not sign: a token pulled out, a
// PIN refused), so svpnd frees its connection and stops showing the login
// as under way.
type LoginCancelRequest struct {
	LoginID string `json:"login_id"`
}

// LoginFinishRequest completes a login started with LoginBegin.
type LoginFinishRequest struct {
	LoginID            string             `json:"login_id"`
	Password           string             `json:"password"`
	NewPassword        string             `json:"new_password,omitempty"`
	Certificate        []byte             `json:"certificate"`
	Signature          []byte             `json:"signature"`
	SignatureAlgorithm SignatureAlgorithm `json:"signature_algorithm"`
	// VIDRandom is R of the holder's NPKI key; svpnd forwards it only to a
	// gateway whose challenge asked for it.
	VIDRandom []byte `json:"vid_random,omitempty"`
}

// LocalPasswordRequest changes the account password through the daemon.
type LocalPasswordRequest struct {
	UserID      string `json:"user_id"`
	OldPassword string `json:"old_password"`
	NewPassword string `json:"new_password"`
}

// ProfileInfo is the installed profile plus what the gateway publishes, for
// the login window.
type ProfileInfo struct {
	Profile Profile `json:"profile"`
	Gateway *Info   `json:"gateway,omitempty"` // nil when the gateway is unreachable
	Error   Code    `json:"error,omitempty"`
}

// Local API codes.
const (
	CodeForbidden     Code = "forbidden"      // another local user's session
	CodeLoginExpired  Code = "login_expired"  // LoginBegin too long ago or unknown login ID
	CodeAlreadyActive Code = "already_active" // a session is up; log out first
	CodeNotConnected  Code = "not_connected"
)

// Diagnostics is what the helpdesk reads: the daemon's snapshot. Secrets
// (passwords, session tokens, private keys) are never part of it.
type Diagnostics struct {
	GeneratedAt time.Time         `json:"generated_at"`
	Status      Status            `json:"status"`
	Profile     Profile           `json:"profile"`
	Versions    map[string]string `json:"versions"` // svpnd, go, os
	Device      Device            `json:"device"`
	Posture     Posture           `json:"posture"`
	Errors      []ErrorEvent      `json:"errors"` // recent, newest last
	Notes       []string          `json:"notes,omitempty"`
	// Certificate is the certificate of the last login (public facts only).
	Certificate *CertificateSummary `json:"certificate,omitempty"`
}

// CertificateSummary is what the helpdesk needs to know of a certificate.
type CertificateSummary struct {
	Name      string    `json:"name"`
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	Serial    string    `json:"serial"` // lower-case hex
	NotAfter  time.Time `json:"not_after"`
	PolicyOID string    `json:"policy_oid,omitempty"`
	Purpose   string    `json:"purpose,omitempty"`
	UsedAt    time.Time `json:"used_at"`
}

// ErrorEvent is one failure the daemon met.
type ErrorEvent struct {
	Time    time.Time `json:"time"`
	Code    Code      `json:"code"`
	Message string    `json:"message"`
}

// Engine codes for the tunnel as a whole.
const (
	CodeTunnelHandshake Code = "tunnel_handshake" // no WireGuard handshake: UDP blocked or gateway down
	CodeTunnelProxy     Code = "tunnel_proxy"     // the userspace proxy or portal forward could not listen
)
