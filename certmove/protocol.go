// Package certmove moves a certificate (인증서 이동) from one PC to another
// through the gateway, which can never read it.
//
// The sender's front end (svpnctl or the app, never svpnd) opens a slot on
// the gateway with the session of its logged-in user, makes a one-time
// code (see Code) and shows it; the receiver's front end types it. The two
// run CPace (package cpace) with the code as password, the slot ID as sid
// and the protocol version, the user ID, the slot ID and each side's role
// as associated data, confirm the key with a MAC each way, and only then
// does the sender seal the certificate's files with ChaCha20-Poly1305
// under a key derived from CPace's ISK (HKDF-SHA-512). The key file inside
// stays encrypted under the certificate password, as on disk.
//
// Why the relay (the gateway, svpnd in between, or anyone who captures or
// later reads the relay's rows) learns nothing useful:
//
//   - It never sees the code's 8 secret digits or the check digit: only the
//     3-digit slot part, which it chose itself.
//   - It sees Ya = ya·g and Yb = yb·g, where g is derived from the code and
//     ya, yb are fresh secret scalars. For every possible code there are
//     scalars that produce exactly these messages, so the messages alone say
//     nothing about the code. The tags and the ciphertext depend on
//     K = ya·yb·g; checking a guessed code against them needs K, that is a
//     Diffie-Hellman solution in ristretto255. So there is no offline
//     dictionary attack on the 10^8 codes, unlike a key derived from the
//     code alone (croc's CVE-2021-31603 class of mistakes).
//   - An active relay can play receiver (or sender) with a guessed code:
//     that is one guess per slot. The honest side's key confirmation then
//     fails, it reports the failure, and the relay burns the slot: a second
//     guess needs a new slot, which needs the sender's logged-in session and
//     a new code. One guess succeeds with probability 10^-8.
//   - The ciphertext is bound (AEAD associated data and the HKDF salt) to
//     this slot and user, so it cannot be replayed into another move.
package certmove

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certmove/cpace"
)

// Relay is the gateway's certificate-move relay as a front end reaches it:
// through svpnd's local API (client/local), or straight to the gateway in
// tests. It carries only opaque messages.
type Relay interface {
	CertMoveOpen(ctx context.Context, req *api.CertMoveOpenRequest) (*api.CertMoveOpenResponse, error)
	CertMoveJoin(ctx context.Context, req *api.CertMoveJoinRequest) (*api.CertMoveJoinResponse, error)
	CertMovePut(ctx context.Context, req *api.CertMovePutRequest) error
	CertMoveGet(ctx context.Context, req *api.CertMoveGetRequest) (*api.CertMoveGetResponse, error)
}

// channelID is CPace's CI: the protocol and its version.
func channelID() []byte { return fmt.Appendf(nil, "svpn-certmove/%d", api.CertMoveVersion) }

// associatedData is a side's ADa/ADb: version, role, user, slot. Both
// sides know both values in advance and check the peer's.
func associatedData(role, userID, slotID string) []byte {
	return cpace.LVCat(channelID(), []byte(role), []byte(userID), []byte(slotID))
}

const (
	roleSender   = "sender"
	roleReceiver = "receiver"
)

// payloadAD is the AEAD's associated data.
func payloadAD(userID, slotID string) []byte {
	return cpace.LVCat(channelID(), []byte("payload"), []byte(userID), []byte(slotID))
}

func sidOf(slotID string) ([]byte, error) {
	sid, err := hex.DecodeString(slotID)
	if err != nil || len(sid) < 16 {
		return nil, api.Errorf(api.CodeCertMoveProtocol, "the relay gave slot ID %q", slotID)
	}
	return sid, nil
}

// SendOptions is what Send moves and how it reports progress.
type SendOptions struct {
	Bundle      *Bundle
	DeleteAfter bool // told to the gateway: a move, not a copy, for the device count
	// OnCode is called once the code can be shown, with the slot's expiry
	// by this PC's clock.
	OnCode func(code Code, expires time.Time)
	// OnJoined is called when a receiver has confirmed the code, before
	// the files are sent.
	OnJoined func()
	// Rand is the source of CPace's secret scalar; nil is crypto/rand.
	// Tests set it to show what a holder of the scalar could check.
	Rand io.Reader
}

// Send runs the sender's side until the receiver acknowledged the files:
// nil then. A receiver with another code gives an error of code
// api.CodeCertMoveMismatch; so does a relay that changed a message.
func Send(ctx context.Context, r Relay, o SendOptions) error {
	if o.Bundle == nil {
		return api.Errorf(api.CodeBadRequest, "nothing to send")
	}
	open, err := r.CertMoveOpen(ctx, &api.CertMoveOpenRequest{Certificate: o.Bundle.Cert, DeleteAfter: o.DeleteAfter})
	if err != nil {
		return err
	}
	sid, err := sidOf(open.SlotID)
	if err != nil {
		return err
	}
	code, err := NewCode(open.Slot)
	if err != nil {
		return err
	}
	// The slot's life by this PC's clock, which may differ from the
	// gateway's: the relay itself refuses an expired slot.
	expires := time.Now().Add(api.CertMoveTTL)
	ctx, cancel := context.WithDeadline(ctx, expires.Add(5*time.Second))
	defer cancel()
	s := &side{r: r, slotID: open.SlotID, token: open.Token}
	adA, adB := associatedData(roleSender, open.UserID, open.SlotID), associatedData(roleReceiver, open.UserID, open.SlotID)
	p, err := cpace.Start(true, code.prs(), channelID(), sid, adA, o.Rand)
	if err != nil {
		return err
	}
	if err := s.put(ctx, api.CertMoveA, cpace.LVCat(p.Message(), adA)); err != nil {
		return err
	}
	if o.OnCode != nil {
		o.OnCode(code, expires)
	}
	b, err := s.get(ctx, api.CertMoveB)
	if err != nil {
		return err
	}
	parts, err := splitLV(b, 3)
	if err != nil {
		return err
	}
	if !bytes.Equal(parts[1], adB) {
		return s.fail(ctx, api.Errorf(api.CodeCertMoveProtocol, "the receiver speaks another protocol version or names another slot"))
	}
	keys, err := p.Finish(parts[0], parts[1])
	if err != nil {
		return s.fail(ctx, api.Errorf(api.CodeCertMoveProtocol, "the receiver's message is not a group element: %w", err))
	}
	if err := keys.VerifyPeer(parts[2]); err != nil {
		return s.fail(ctx, mismatch())
	}
	if err := s.put(ctx, api.CertMoveTA, keys.ConfirmationTag()); err != nil {
		return err
	}
	if _, err := s.get(ctx, api.CertMoveReady); err != nil {
		return err
	}
	if o.OnJoined != nil {
		o.OnJoined()
	}
	sealed, err := o.Bundle.seal(keys.ISK, sid, payloadAD(open.UserID, open.SlotID))
	if err != nil {
		return err
	}
	if err := s.put(ctx, api.CertMovePayload, sealed); err != nil {
		return err
	}
	_, err = s.get(ctx, api.CertMoveAck)
	return err
}

// ReceiveOptions is what Receive needs.
type ReceiveOptions struct {
	UserID string
	Code   Code
	// Save writes the bundle (Bundle.Install) before the receiver
	// acknowledges, so the sender deletes its copy only after this one is
	// on disk. It returns where the certificate was written.
	Save func(*Bundle) (string, error)
}

// Receive runs the receiver's side and returns where Save wrote the
// certificate. A sender with another code gives api.CodeCertMoveMismatch.
func Receive(ctx context.Context, r Relay, o ReceiveOptions) (string, error) {
	if o.Save == nil {
		return "", api.Errorf(api.CodeBadRequest, "nowhere to save")
	}
	join, err := r.CertMoveJoin(ctx, &api.CertMoveJoinRequest{UserID: o.UserID, Slot: o.Code.Slot()})
	if err != nil {
		return "", err
	}
	sid, err := sidOf(join.SlotID)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithDeadline(ctx, time.Now().Add(api.CertMoveTTL+5*time.Second)) // this PC's clock, see Send
	defer cancel()
	s := &side{r: r, slotID: join.SlotID, token: join.Token}
	adA, adB := associatedData(roleSender, o.UserID, join.SlotID), associatedData(roleReceiver, o.UserID, join.SlotID)
	parts, err := splitLV(join.A, 2)
	if err != nil {
		return "", s.fail(ctx, err)
	}
	if !bytes.Equal(parts[1], adA) {
		return "", s.fail(ctx, api.Errorf(api.CodeCertMoveProtocol, "the sender speaks another protocol version or names another slot"))
	}
	p, err := cpace.Start(false, o.Code.prs(), channelID(), sid, adB, nil)
	if err != nil {
		return "", err
	}
	keys, err := p.Finish(parts[0], parts[1])
	if err != nil {
		return "", s.fail(ctx, api.Errorf(api.CodeCertMoveProtocol, "the sender's message is not a group element: %w", err))
	}
	if err := s.put(ctx, api.CertMoveB, cpace.LVCat(p.Message(), adB, keys.ConfirmationTag())); err != nil {
		return "", err
	}
	ta, err := s.get(ctx, api.CertMoveTA)
	if err != nil {
		return "", err
	}
	if err := keys.VerifyPeer(ta); err != nil {
		return "", s.fail(ctx, mismatch())
	}
	if err := s.put(ctx, api.CertMoveReady, nil); err != nil {
		return "", err
	}
	sealed, err := s.get(ctx, api.CertMovePayload)
	if err != nil {
		return "", err
	}
	b, err := openBundle(keys.ISK, sid, payloadAD(o.UserID, join.SlotID), sealed)
	if err != nil {
		return "", s.fail(ctx, err)
	}
	path, err := o.Save(b)
	if err != nil {
		return "", err // the slot expires; the sender keeps its copy
	}
	if err := s.put(ctx, api.CertMoveAck, nil); err != nil {
		return path, err
	}
	return path, nil
}

func mismatch() error {
	return api.Errorf(api.CodeCertMoveMismatch, "key confirmation failed: the codes differ")
}

// side is one party's view of its slot.
type side struct {
	r             Relay
	slotID, token string
}

func (s *side) put(ctx context.Context, step api.CertMoveStep, data []byte) error {
	return s.r.CertMovePut(ctx, &api.CertMovePutRequest{SlotID: s.slotID, Token: s.token, Step: step, Data: data})
}

// get waits for the other side's message of step.
func (s *side) get(ctx context.Context, step api.CertMoveStep) ([]byte, error) {
	for {
		resp, err := s.r.CertMoveGet(ctx, &api.CertMoveGetRequest{SlotID: s.slotID, Token: s.token, Step: step, WaitSeconds: api.CertMoveMaxWait})
		if err != nil {
			if ctx.Err() != nil && api.CodeOf(err) != api.CodeCertMoveMismatch {
				return nil, api.Errorf(api.CodeCertMoveExpired, "waited until the slot expired: %w", err)
			}
			return nil, err
		}
		if resp.Ready {
			return resp.Data, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, api.Errorf(api.CodeCertMoveExpired, "waited until the slot expired: %w", err)
		}
	}
}

// fail tells the relay to burn the slot, then returns err.
func (s *side) fail(ctx context.Context, err error) error {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if perr := s.put(fctx, api.CertMoveFail, nil); perr != nil && !errors.Is(err, perr) {
		return fmt.Errorf("%w (telling the relay also failed: %v)", err, perr)
	}
	return err
}

// splitLV parses exactly n length-prefixed fields (cpace.LVCat).
func splitLV(b []byte, n int) ([][]byte, error) {
	var out [][]byte
	for len(out) < n {
		l, used := 0, 0
		for shift := 0; ; shift += 7 {
			if used >= len(b) || shift > 21 {
				return nil, api.Errorf(api.CodeCertMoveProtocol, "a message is truncated")
			}
			c := b[used]
			used++
			l |= int(c&0x7f) << shift
			if c < 0x80 {
				break
			}
		}
		b = b[used:]
		if l > len(b) {
			return nil, api.Errorf(api.CodeCertMoveProtocol, "a message is truncated")
		}
		out = append(out, b[:l])
		b = b[l:]
	}
	if len(b) != 0 {
		return nil, api.Errorf(api.CodeCertMoveProtocol, "a message has trailing data")
	}
	return out, nil
}
