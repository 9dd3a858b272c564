package api

import "time"

// 모바일 공무원증 (mobile government employee ID) login: the PC shows a QR
// code; the holder's phone fetches the gateway's signed profile, and posts
// a verifiable presentation signed by the holder's key over the profile's
// nonce; the PC's svpnd collects the verdict on the TLS connection that
// started the login. The phone-facing messages (M200 in the QR, M310,
// M400, M900) are in package mobileid.
const (
	// svpnd → gateway, both on one TLS connection.
	PathMobileStart  = "/api/v1/auth/mobileid/start"
	PathMobileResult = "/api/v1/auth/mobileid/result"
	// phone → gateway.
	PathMobileProfile      = "/api/v1/mip/profile"
	PathMobilePresentation = "/api/v1/mip/presentation"
	PathMobileDecline      = "/api/v1/mip/error"

	// front end → svpnd.
	LocalPathMobileBegin  = "/localapi/v1/mobileid/begin"
	LocalPathMobileWait   = "/localapi/v1/mobileid/wait"
	LocalPathMobileCancel = "/localapi/v1/mobileid/cancel"
)

// MobileStartRequest asks the gateway for a QR login bound to svpnd's fresh
// WireGuard key and to the TLS connection it arrives on.
type MobileStartRequest struct {
	WGPublicKey string `json:"wg_public_key"`
	// UserID, when set, is the only account the credential may log in to.
	UserID string `json:"user_id,omitempty"`
}

// MobileStartResponse is what the PC shows: the QR text (an M200 message,
// which holds no secret but the one-time transaction code) and the short
// code the holder compares in the phone before approving.
type MobileStartResponse struct {
	Transaction string    `json:"transaction"`
	QR          string    `json:"qr"`
	ShortCode   string    `json:"short_code"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// MobileResultRequest collects the verdict. It is answered after at most
// MobileResultWait: Status is "pending" until the phone answered.
type MobileResultRequest struct {
	Transaction string  `json:"transaction"`
	WGPublicKey string  `json:"wg_public_key"`
	Device      Device  `json:"device"`
	Posture     Posture `json:"posture"`
}

// MobileResultResponse is "pending", or "approved" with the login.
type MobileResultResponse struct {
	Status string         `json:"status"`
	Login  *LoginResponse `json:"login,omitempty"`
}

// Result states.
const (
	MobilePending  = "pending"
	MobileApproved = "approved"
)

// MobileResultWait bounds one result request on the gateway (under its
// 30 s write timeout).
const MobileResultWait = 20 * time.Second

// MobileTTL is how long a QR stays usable.
const MobileTTL = 3 * time.Minute

// MobileLoginBeginRequest starts a QR login in svpnd.
type MobileLoginBeginRequest struct {
	UserID string `json:"user_id,omitempty"`
}

// MobileLoginBeginResponse is what a front end shows while svpnd waits for
// the phone.
type MobileLoginBeginResponse struct {
	LoginID   string    `json:"login_id"`
	QR        string    `json:"qr"`
	ShortCode string    `json:"short_code"`
	ExpiresAt time.Time `json:"expires_at"`
}

// MobileLoginRef names a QR login in svpnd (wait, cancel).
type MobileLoginRef struct {
	LoginID string `json:"login_id"`
}
