package gateway

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"time"
)

// Challenges are stateless so any node of a cluster accepts one another node
// issued: the nonce carries its issue time and an HMAC, under a secret all
// nodes share (kept in the store), over everything it is bound to. The
// store remembers used challenges until they expire, so none is accepted
// twice.
//
//	challenge = base64url( 0x01 | unix seconds (8) | random (16) | HMAC-SHA256 (32) )
//	HMAC over "svpn-challenge-v1" 0 gatewayID 0 userID 0 wgPublicKey 0 seconds random
const (
	challengeVersion = 1
	challengeLen     = 1 + 8 + 16 + 32
	// ChallengeTTL is how long a challenge may be answered: long enough
	// for a user to pick a certificate and type its password.
	ChallengeTTL = 5 * time.Minute
)

var (
	errChallengeMalformed = errors.New("malformed challenge")
	errChallengeForged    = errors.New("challenge was not issued for this user, key and gateway")
	errChallengeExpired   = errors.New("challenge expired")
)

type challenger struct {
	secret    []byte
	gatewayID string
}

func (c *challenger) mac(userID, wgKey string, head []byte) []byte {
	m := hmac.New(sha256.New, c.secret)
	for _, s := range []string{"svpn-challenge-v1", c.gatewayID, userID, wgKey} {
		m.Write([]byte(s))
		m.Write([]byte{0})
	}
	m.Write(head[1:])
	return m.Sum(nil)
}

// issue returns a new challenge and its expiry.
func (c *challenger) issue(userID, wgKey string, now time.Time) (string, time.Time, error) {
	b := make([]byte, challengeLen)
	b[0] = challengeVersion
	binary.BigEndian.PutUint64(b[1:9], uint64(now.Unix()))
	if _, err := rand.Read(b[9:25]); err != nil {
		return "", time.Time{}, err
	}
	copy(b[25:], c.mac(userID, wgKey, b[:25]))
	return base64.RawURLEncoding.EncodeToString(b), time.Unix(now.Unix(), 0).Add(ChallengeTTL), nil
}

// verify checks a challenge for userID and wgKey and returns its expiry.
func (c *challenger) verify(challenge, userID, wgKey string, now time.Time) (time.Time, error) {
	b, err := base64.RawURLEncoding.DecodeString(challenge)
	if err != nil || len(b) != challengeLen || b[0] != challengeVersion {
		return time.Time{}, errChallengeMalformed
	}
	if !hmac.Equal(b[25:], c.mac(userID, wgKey, b[:25])) {
		return time.Time{}, errChallengeForged
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(b[1:9])), 0)
	expires := issued.Add(ChallengeTTL)
	// Allow a little clock skew between nodes for the issue time.
	if now.After(expires) || issued.After(now.Add(30*time.Second)) {
		return time.Time{}, errChallengeExpired
	}
	return expires, nil
}
