package api

// EndReason says why the gateway ended a session. The values are stable:
// the heartbeat's refusal carries them (ErrorResponse.EndReason), svpnd
// passes them on to front ends (Status.EndReason), the gateway's store and
// audit log record them, and front ends translate each one (reason.<value>
// in the translation tables). A front end shows an unknown value as is: a
// newer gateway may add reasons.
type EndReason string

const (
	EndLogout   EndReason = "logout"   // the user logged out
	EndKicked   EndReason = "kicked"   // an administrator ended it
	EndExpired  EndReason = "expired"  // idle or absolute timeout
	EndReplaced EndReason = "replaced" // a newer login of the same user
	EndRevoked  EndReason = "revoked"  // the certificate or account was revoked
)
