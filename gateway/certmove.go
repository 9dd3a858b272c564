package gateway

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/gateway/store"
)

// The certificate-move relay (인증서 이동, package certmove): a logged-in
// sender opens a slot; a receiver who is not logged in joins it with the
// user ID and the code's slot digits; the two exchange CPace messages,
// confirmation tags and the sealed certificate files through it. The relay
// never holds a key or the code's secret digits, so its rows (and whoever
// reads them) cannot test a guessed code: see package certmove.
//
// What the relay enforces: each message only from its side and only after
// the one before it; a slot joined once; a slot burnt (contents wiped,
// further use refused) as soon as either side reports a failed key
// confirmation; expiry after api.CertMoveTTL; contents deleted when the
// receiver acknowledges; joins limited per source address and per user;
// the group's policy (moves allowed, devices per certificate); an audit
// entry for every open, join, refusal, burn and completion.

// CertMovePolicy is a group's certificate-move policy.
type CertMovePolicy struct {
	// Disabled turns moves off for the group's users.
	Disabled bool `json:"disabled,omitempty"`
	// MaxDevices is how many PCs a certificate may be on: the original
	// plus each completed move that kept the sender's copy. 0: no limit.
	MaxDevices int `json:"max_devices,omitempty"`
}

// validate checks the policy; nil when it is fine.
func (p CertMovePolicy) validate(where string) error {
	if p.MaxDevices < 0 {
		return fmt.Errorf("%s.max_devices: 0 (no limit) or more, got %d", where, p.MaxDevices)
	}
	return nil
}

// Relay limits.
const (
	moveMaxLive       = 3                // live slots per user
	moveJoinWindow    = 15 * time.Minute // join rate-limit window
	moveJoinPerSource = 10               // joins per source address per window
	moveJoinPerUser   = 5                // joins per user ID per window
	movePoll          = time.Second      // how often a waiting Get rereads the store (other nodes' writes)
)

// moveWaiters wakes Gets waiting on a slot when this node changes it; a
// change made on another node is seen at the next movePoll. The zero value
// is ready.
type moveWaiters struct {
	mu sync.Mutex
	ch map[string]chan struct{}
}

// wait returns a channel closed at the slot's next change.
func (m *moveWaiters) wait(id string) <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ch == nil {
		m.ch = map[string]chan struct{}{}
	}
	c, ok := m.ch[id]
	if !ok {
		c = make(chan struct{})
		m.ch[id] = c
	}
	return c
}

func (m *moveWaiters) wake(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.ch[id]; ok {
		close(c)
		delete(m.ch, id)
	}
}

// certKey identifies a certificate for the device count.
func certKey(der []byte) string {
	h := sha256.Sum256(der)
	return hex.EncodeToString(h[:])
}

func newSlotToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (s *Server) handleCertMoveOpen(w http.ResponseWriter, r *http.Request) {
	var req api.CertMoveOpenRequest
	if err := decode(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	tok, ok := bearer(r)
	if !ok {
		s.writeError(w, r, refuse(api.CodeUnauthorized, "opening a certificate move needs a session"))
		return
	}
	resp, err := s.certMoveOpen(r.Context(), tok, &req, clientSource(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) certMoveOpen(ctx context.Context, token string, req *api.CertMoveOpenRequest, source string) (*api.CertMoveOpenResponse, error) {
	sess, err := s.st.SessionByToken(ctx, store.HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, refuse(api.CodeUnauthorized, "unknown session token")
	} else if err != nil {
		return nil, internalError(err)
	}
	now := s.now()
	if !sess.Active() {
		return nil, sessionEnded(sess.EndReason)
	}
	if now.After(sess.ExpiresAt) || now.After(sess.IdleExpiresAt) {
		return nil, sessionEnded(api.EndExpired)
	}
	user, err := s.st.GetUser(ctx, sess.UserID)
	if err != nil {
		return nil, internalError(err)
	}
	refused := func(err *refusal) error {
		s.audit(ctx, "certmove_refused", user.ID, source, err.resp.Code, nil)
		return err
	}
	policy := s.cfg.group(user.Group).CertMove
	if policy.Disabled {
		return nil, refused(refuse(api.CodeCertMoveDisabled, "certificate moves are turned off for group %q", user.Group))
	}
	cert, err := certstore.ParseCertificate(req.Certificate)
	if err != nil {
		return nil, refused(refuse(api.CodeCertMoveProtocol, "certificate: not a certificate"))
	}
	// Only the certificate registered for the account moves: the session
	// proves the account, the binding ties this certificate to it.
	if user.Cert.IsZero() || !bindingMatches(user.Cert, cert) {
		return nil, refused(refuse(api.CodeCertMoveNotRegistered, "the certificate is not the one registered for %s", user.ID))
	}
	key := certKey(cert.Raw)
	if policy.MaxDevices > 0 {
		moves, err := s.st.CertMoves(ctx, key)
		if err != nil {
			return nil, internalError(err)
		}
		if 1+moves >= policy.MaxDevices {
			return nil, refused(refuse(api.CodeCertMoveDeviceLimit, "the certificate is on %d PCs, the most group %q allows", 1+moves, user.Group))
		}
	}
	slotToken := newSlotToken()
	slot, err := s.st.CreateMoveSlot(ctx, store.MoveSlot{UserID: user.ID, CertKey: key, DeleteAfter: req.DeleteAfter,
		SenderToken: store.HashToken(slotToken), ExpiresAt: now.Add(api.CertMoveTTL)}, moveMaxLive, now)
	if errors.Is(err, store.ErrMoveFull) {
		return nil, refused(refuse(api.CodeRateLimited, "%d certificate moves are already waiting; finish or let them expire", moveMaxLive))
	} else if err != nil {
		return nil, internalError(err)
	}
	s.audit(ctx, "certmove_open", user.ID, source, "", map[string]any{"slot": slot.ID, "delete_after": req.DeleteAfter,
		"certificate": certDetail(cert)})
	return &api.CertMoveOpenResponse{SlotID: slot.ID, Slot: slot.SlotNo, UserID: user.ID, Token: slotToken, ExpiresAt: slot.ExpiresAt}, nil
}

func (s *Server) handleCertMoveJoin(w http.ResponseWriter, r *http.Request) {
	var req api.CertMoveJoinRequest
	if err := decode(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	resp, err := s.certMoveJoin(r.Context(), &req, clientSource(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func validSlotNo(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := range 3 {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (s *Server) certMoveJoin(ctx context.Context, req *api.CertMoveJoinRequest, source string) (*api.CertMoveJoinResponse, error) {
	if err := checkUserID(req.UserID); err != nil {
		return nil, err
	}
	if !validSlotNo(req.Slot) {
		return nil, refuse(api.CodeBadRequest, "slot: three digits")
	}
	now := s.now()
	// Rate limits first, per address and per user: each join is one
	// online guess of a code, so a stranger cannot try many.
	for _, lim := range []struct {
		key   string
		limit int
	}{{"certmove-src:" + source, moveJoinPerSource}, {"certmove-user:" + req.UserID, moveJoinPerUser}} {
		_, ok, retry, err := s.st.ReserveSourceAttempt(ctx, lim.key, moveJoinWindow, lim.limit, now)
		if err != nil {
			return nil, internalError(err)
		}
		if !ok {
			s.audit(ctx, "certmove_join_refused", req.UserID, source, api.CodeRateLimited, map[string]string{"limit": lim.key})
			ref := refuse(api.CodeRateLimited, "too many certificate-move attempts; wait and try again")
			ref.resp.RetryAfter = max(int(retry.Seconds()), 1)
			return nil, ref
		}
	}
	slot, err := s.st.MoveSlotByNumber(ctx, req.UserID, req.Slot)
	if errors.Is(err, store.ErrNotFound) {
		s.audit(ctx, "certmove_join_refused", req.UserID, source, api.CodeCertMoveNotFound, nil)
		return nil, refuse(api.CodeCertMoveNotFound, "no certificate move waits under this user ID and code")
	} else if err != nil {
		return nil, internalError(err)
	}
	if err := s.slotUsable(ctx, slot, now); err != nil {
		s.audit(ctx, "certmove_join_refused", req.UserID, source, asRefusal(err).resp.Code, map[string]string{"slot": slot.ID})
		return nil, err
	}
	switch {
	case slot.Stage < store.MoveA:
		return nil, refuse(api.CodeCertMoveNotFound, "the move is not ready yet; try again")
	case slot.Stage > store.MoveA:
		s.audit(ctx, "certmove_join_refused", req.UserID, source, api.CodeCertMoveTaken, map[string]string{"slot": slot.ID})
		return nil, refuse(api.CodeCertMoveTaken, "another PC already joined this move")
	}
	tok := newSlotToken()
	err = s.st.AdvanceMoveSlot(ctx, slot.ID, store.MoveA, store.MoveJoined, store.ColNone, nil, store.HashToken(tok), now)
	if errors.Is(err, store.ErrMoveStage) {
		return nil, refuse(api.CodeCertMoveTaken, "another PC already joined this move")
	} else if err != nil {
		return nil, internalError(err)
	}
	s.moves.wake(slot.ID)
	s.audit(ctx, "certmove_join", req.UserID, source, "", map[string]string{"slot": slot.ID})
	return &api.CertMoveJoinResponse{SlotID: slot.ID, Token: tok, ExpiresAt: slot.ExpiresAt, A: slot.MsgA}, nil
}

// slotUsable refuses a burnt or expired slot (wiping an expired one).
func (s *Server) slotUsable(ctx context.Context, slot store.MoveSlot, now time.Time) error {
	if slot.Stage == store.MoveBurnt {
		return refuse(api.CodeCertMoveMismatch, "this move was stopped after a code mismatch; start again")
	}
	if slot.Stage != store.MoveDone && now.After(slot.ExpiresAt) {
		if err := s.st.WipeMoveSlot(ctx, slot.ID); err != nil {
			return internalError(err)
		}
		return refuse(api.CodeCertMoveExpired, "the move expired; start again")
	}
	return nil
}

// moveRule is what a Put of a step needs: the side, the stage before and
// after, and the column its data goes to.
type moveRule struct {
	sender   bool
	from, to int
	col      store.MoveColumn
	data     bool // data required (else refused if present)
}

var putRules = map[api.CertMoveStep]moveRule{
	api.CertMoveA:       {sender: true, from: store.MoveOpened, to: store.MoveA, col: store.ColMsgA, data: true},
	api.CertMoveB:       {sender: false, from: store.MoveJoined, to: store.MoveB, col: store.ColMsgB, data: true},
	api.CertMoveTA:      {sender: true, from: store.MoveB, to: store.MoveTA, col: store.ColTagA, data: true},
	api.CertMoveReady:   {sender: false, from: store.MoveTA, to: store.MoveReady},
	api.CertMovePayload: {sender: true, from: store.MoveReady, to: store.MovePayload, col: store.ColPayload, data: true},
	api.CertMoveAck:     {sender: false, from: store.MovePayload, to: store.MoveDone},
}

// getRules: which side may wait for a step, and the stage that makes it
// ready.
var getRules = map[api.CertMoveStep]moveRule{
	api.CertMoveB:       {sender: true, to: store.MoveB, col: store.ColMsgB},
	api.CertMoveTA:      {sender: false, to: store.MoveTA, col: store.ColTagA},
	api.CertMoveReady:   {sender: true, to: store.MoveReady},
	api.CertMovePayload: {sender: false, to: store.MovePayload, col: store.ColPayload},
	api.CertMoveAck:     {sender: true, to: store.MoveDone},
}

// slotFor finds the slot and tells which side token belongs to.
func (s *Server) slotFor(ctx context.Context, id, token string) (store.MoveSlot, bool, error) {
	if len(id) != 32 || token == "" || len(token) > 128 {
		return store.MoveSlot{}, false, refuse(api.CodeBadRequest, "slot_id and token are required")
	}
	slot, err := s.st.MoveSlotByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return slot, false, refuse(api.CodeCertMoveNotFound, "no such certificate move (finished or expired)")
	} else if err != nil {
		return slot, false, internalError(err)
	}
	h := store.HashToken(token)
	switch {
	case h == slot.SenderToken:
		return slot, true, nil
	case slot.ReceiverToken != "" && h == slot.ReceiverToken:
		return slot, false, nil
	}
	return slot, false, refuse(api.CodeCertMoveNotFound, "no such certificate move (finished or expired)")
}

func (s *Server) handleCertMovePut(w http.ResponseWriter, r *http.Request) {
	var req api.CertMovePutRequest
	if err := decode(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.certMovePut(r.Context(), &req, clientSource(r)); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

func (s *Server) certMovePut(ctx context.Context, req *api.CertMovePutRequest, source string) error {
	if len(req.Data) > api.CertMoveMaxData {
		return refuse(api.CodeCertMoveProtocol, "data larger than %d bytes", api.CertMoveMaxData)
	}
	slot, sender, err := s.slotFor(ctx, req.SlotID, req.Token)
	if err != nil {
		return err
	}
	now := s.now()
	if req.Step == api.CertMoveFail {
		burnt, err := s.st.BurnMoveSlot(ctx, slot.ID)
		if err != nil {
			return internalError(err)
		}
		if burnt {
			s.moves.wake(slot.ID)
			side := "receiver"
			if sender {
				side = "sender"
			}
			s.audit(ctx, "certmove_burnt", slot.UserID, source, api.CodeCertMoveMismatch, map[string]string{"slot": slot.ID, "reported_by": side})
		}
		return nil
	}
	rule, ok := putRules[req.Step]
	if !ok || rule.sender != sender {
		return refuse(api.CodeCertMoveProtocol, "step %q is not this side's", req.Step)
	}
	if rule.data != (len(req.Data) > 0) {
		return refuse(api.CodeCertMoveProtocol, "step %q: data missing or unexpected", req.Step)
	}
	if err := s.slotUsable(ctx, slot, now); err != nil {
		return err
	}
	err = s.st.AdvanceMoveSlot(ctx, slot.ID, rule.from, rule.to, rule.col, req.Data, "", now)
	if errors.Is(err, store.ErrMoveStage) {
		return refuse(api.CodeCertMoveProtocol, "step %q out of order", req.Step)
	} else if err != nil {
		return internalError(err)
	}
	s.moves.wake(slot.ID)
	if rule.to == store.MoveDone {
		detail := map[string]any{"slot": slot.ID, "delete_after": slot.DeleteAfter}
		if !slot.DeleteAfter {
			n, err := s.st.AddCertMove(ctx, slot.CertKey, slot.UserID, now)
			if err != nil {
				s.log.Error("counting a certificate move", "err", err)
			}
			detail["devices"] = 1 + n
		}
		s.audit(ctx, "certmove_done", slot.UserID, source, "", detail)
	}
	return nil
}

func (s *Server) handleCertMoveGet(w http.ResponseWriter, r *http.Request) {
	var req api.CertMoveGetRequest
	if err := decode(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	resp, err := s.certMoveGet(r.Context(), &req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) certMoveGet(ctx context.Context, req *api.CertMoveGetRequest) (*api.CertMoveGetResponse, error) {
	rule, ok := getRules[req.Step]
	if !ok {
		return nil, refuse(api.CodeCertMoveProtocol, "no step %q to wait for", req.Step)
	}
	wait := time.Duration(min(max(req.WaitSeconds, 0), api.CertMoveMaxWait)) * time.Second
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		slot, sender, err := s.slotFor(ctx, req.SlotID, req.Token)
		if err != nil {
			return nil, err
		}
		if rule.sender != sender {
			return nil, refuse(api.CodeCertMoveProtocol, "step %q is not for this side", req.Step)
		}
		if err := s.slotUsable(ctx, slot, s.now()); err != nil {
			return nil, err
		}
		if slot.Stage >= rule.to {
			resp := &api.CertMoveGetResponse{Ready: true}
			switch rule.col {
			case store.ColMsgB:
				resp.Data = slot.MsgB
			case store.ColTagA:
				resp.Data = slot.TagA
			case store.ColPayload:
				resp.Data = slot.Payload
			}
			if rule.to == store.MoveDone {
				// The sender has seen the outcome: the tombstone goes.
				if err := s.st.DeleteMoveSlot(ctx, slot.ID); err != nil {
					s.log.Error("deleting a finished certificate move", "err", err)
				}
			}
			return resp, nil
		}
		// Only a side of a live slot waits here, so the waiters stay as
		// few as the slots (each change and each prune removes them). A
		// change between the read above and this line is seen at the
		// next movePoll.
		woken := s.moves.wait(slot.ID)
		select {
		case <-woken:
		case <-time.After(movePoll):
		case <-deadline.C:
			return &api.CertMoveGetResponse{}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// pruneMoves deletes slots past their expiry (and a minute's grace for
// late requests to hear "expired"), auditing the ones nobody finished.
func (s *Server) pruneMoves(ctx context.Context) {
	gone, err := s.st.PruneMoveSlots(ctx, s.now().Add(-time.Minute))
	if err != nil {
		s.log.Error("pruning certificate moves", "err", err)
		return
	}
	for _, m := range gone {
		if m.Stage != store.MoveDone && m.Stage != store.MoveBurnt {
			s.audit(ctx, "certmove_expired", m.UserID, "", api.CodeCertMoveExpired, map[string]string{"slot": m.ID})
		}
		s.moves.wake(m.ID)
	}
}
