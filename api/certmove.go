package api

import "time"

// 인증서 이동 (certificate move): the gateway relays a certificate from a
// logged-in PC (the sender) to another PC (the receiver) that holds the
// one-time code the sender shows. The relay stores and forwards only CPace
// messages, key-confirmation tags and AEAD ciphertext (package certmove);
// it never sees the code's secret digits or a key.
const (
	PathCertMoveOpen = "/api/v1/certmove/open" // sender, with the session's bearer token
	PathCertMoveJoin = "/api/v1/certmove/join" // receiver, no session: user ID + slot part of the code
	PathCertMovePut  = "/api/v1/certmove/put"  // either side, with its slot token
	PathCertMoveGet  = "/api/v1/certmove/get"  // either side, with its slot token; waits up to WaitSeconds

	// The same calls through svpnd's local API: svpnd adds the session's
	// token to Open and forwards the rest unchanged.
	LocalPathCertMoveOpen = "/localapi/v1/certmove/open"
	LocalPathCertMoveJoin = "/localapi/v1/certmove/join"
	LocalPathCertMovePut  = "/localapi/v1/certmove/put"
	LocalPathCertMoveGet  = "/localapi/v1/certmove/get"
)

// CertMoveVersion is the protocol version; both sides put it in their
// CPace associated data, so a mismatch is detected, never misread.
const CertMoveVersion = 1

// CertMoveTTL is how long a slot lives.
const CertMoveTTL = 5 * time.Minute

// CertMoveMaxWait bounds one Get's wait, below the clients' call timeout.
const CertMoveMaxWait = 10

// CertMoveMaxData bounds one message's data (the sealed certificate files
// are the largest: an NPKI pair is about 3 KB).
const CertMoveMaxData = 32 << 10

// CertMoveStep names the messages of a move, in protocol order. The relay
// accepts each only from its side and only after the one before it.
type CertMoveStep string

const (
	CertMoveA       CertMoveStep = "a"       // sender: lv_cat(Ya, ADa)
	CertMoveB       CertMoveStep = "b"       // receiver: lv_cat(Yb, ADb, Tb)
	CertMoveTA      CertMoveStep = "ta"      // sender: Ta, after checking Tb
	CertMoveReady   CertMoveStep = "ready"   // receiver: Ta checked (no data)
	CertMovePayload CertMoveStep = "payload" // sender: the sealed certificate files
	CertMoveAck     CertMoveStep = "ack"     // receiver: saved; the relay deletes the slot's contents
	CertMoveFail    CertMoveStep = "fail"    // either: key confirmation failed; the relay burns the slot
)

// CertMoveOpenRequest opens a slot for the certificate the session's user
// sends. Certificate is the public certificate (DER) only, for the group's
// policy, the device limit and the audit log.
type CertMoveOpenRequest struct {
	Certificate []byte `json:"certificate"`
	DeleteAfter bool   `json:"delete_after,omitempty"` // the sender deletes its copy after the move
}

// CertMoveOpenResponse names the slot. Slot is the code's first three
// digits; the other digits are made by the sender and never leave it.
type CertMoveOpenResponse struct {
	SlotID    string    `json:"slot_id"` // also CPace's sid (hex)
	Slot      string    `json:"slot"`
	UserID    string    `json:"user_id"`
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// CertMoveJoinRequest is the receiver's: the account and the code's slot
// part (never the secret digits).
type CertMoveJoinRequest struct {
	UserID string `json:"user_id"`
	Slot   string `json:"slot"`
}

// CertMoveJoinResponse gives the receiver its token and the sender's
// first message.
type CertMoveJoinResponse struct {
	SlotID    string    `json:"slot_id"`
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	A         []byte    `json:"a"`
}

// CertMovePutRequest stores one message of a side.
type CertMovePutRequest struct {
	SlotID string       `json:"slot_id"`
	Token  string       `json:"token"`
	Step   CertMoveStep `json:"step"`
	Data   []byte       `json:"data,omitempty"`
}

// CertMoveGetRequest waits for the other side's message of Step.
type CertMoveGetRequest struct {
	SlotID      string       `json:"slot_id"`
	Token       string       `json:"token"`
	Step        CertMoveStep `json:"step"`
	WaitSeconds int          `json:"wait_seconds,omitempty"` // at most CertMoveMaxWait
}

// CertMoveGetResponse: Ready is false when the message has not come yet
// (ask again); a burnt or expired slot is an error.
type CertMoveGetResponse struct {
	Ready bool   `json:"ready"`
	Data  []byte `json:"data,omitempty"`
}
