package gateway

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/hkdf"

	"github.com/gtank/ristretto255"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certmove"
	"github.com/opensvpn/svpn/certmove/cpace"
	"github.com/opensvpn/svpn/certstore/certgen"
	"github.com/opensvpn/svpn/client/gatewayapi"
	"github.com/opensvpn/svpn/gateway/store"
)

// moveSetup is a harness with a logged-in user whose NPKI certificate is
// to move.
type moveSetup struct {
	h      *harness
	a      *account
	token  string
	bundle *certmove.Bundle
}

func newMoveSetup(t testing.TB, mutate func(*Config)) *moveSetup {
	h := newHarness(t, mutate)
	a := h.addUser("mover", "Mover-pass1!", false, nil, certgen.UserOptions{Name: "이동자"})
	resp, err := h.login(a)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := certmove.ReadBundle(a.identity.Certificate.Path)
	if err != nil {
		t.Fatal(err)
	}
	return &moveSetup{h: h, a: a, token: resp.SessionToken, bundle: b}
}

func (m *moveSetup) relay() certmove.Relay {
	return gatewayapi.CertMoveRelay{Client: m.h.client, Token: m.token}
}

// recorder is a relay that keeps every message that passes: what a
// malicious gateway (or svpnd in between) sees.
type recorder struct {
	certmove.Relay
	mu   sync.Mutex
	seen [][]byte
}

func (r *recorder) keep(b []byte) {
	r.mu.Lock()
	r.seen = append(r.seen, append([]byte(nil), b...))
	r.mu.Unlock()
}

func (r *recorder) CertMoveOpen(ctx context.Context, req *api.CertMoveOpenRequest) (*api.CertMoveOpenResponse, error) {
	resp, err := r.Relay.CertMoveOpen(ctx, req)
	if err == nil {
		r.keep([]byte(resp.SlotID))
		r.keep([]byte(resp.Slot))
	}
	return resp, err
}

func (r *recorder) CertMoveJoin(ctx context.Context, req *api.CertMoveJoinRequest) (*api.CertMoveJoinResponse, error) {
	r.keep([]byte(req.UserID + req.Slot))
	resp, err := r.Relay.CertMoveJoin(ctx, req)
	if err == nil {
		r.keep(resp.A)
	}
	return resp, err
}

func (r *recorder) CertMovePut(ctx context.Context, req *api.CertMovePutRequest) error {
	r.keep(req.Data)
	return r.Relay.CertMovePut(ctx, req)
}

func (r *recorder) CertMoveGet(ctx context.Context, req *api.CertMoveGetRequest) (*api.CertMoveGetResponse, error) {
	resp, err := r.Relay.CertMoveGet(ctx, req)
	if err == nil {
		r.keep(resp.Data)
	}
	return resp, err
}

type sendResult struct {
	code certmove.Code
	err  error
}

// startSend runs the sender and returns its code (or its early error) and
// a channel with its final result.
func startSend(t *testing.T, r certmove.Relay, o certmove.SendOptions) (certmove.Code, <-chan error) {
	t.Helper()
	codes := make(chan sendResult, 1)
	done := make(chan error, 1)
	o.OnCode = func(c certmove.Code, _ time.Time) { codes <- sendResult{code: c} }
	go func() {
		err := certmove.Send(context.Background(), r, o)
		if err != nil {
			select {
			case codes <- sendResult{err: err}:
			default:
			}
		}
		done <- err
	}()
	select {
	case res := <-codes:
		if res.err != nil {
			return certmove.Code{}, done
		}
		return res.code, done
	case <-time.After(10 * time.Second):
		t.Fatal("no code")
	}
	return certmove.Code{}, nil
}

func receiveInto(t *testing.T, r certmove.Relay, user string, code certmove.Code) (string, error) {
	dest := certmove.Removable(t.TempDir())
	return certmove.Receive(context.Background(), r, certmove.ReceiveOptions{UserID: user, Code: code,
		Save: func(b *certmove.Bundle) (string, error) { return b.Install(dest) }})
}

// otherCode is a well-formed code for the same slot with other secret
// digits.
func otherCode(t *testing.T, c certmove.Code) certmove.Code {
	s := c.String()
	for i := range 1000 {
		digits := c.Slot() + "1" + string(rune('0'+i%10)) + "345678"
		for chk := '0'; chk <= '9'; chk++ {
			if o, err := certmove.ParseCode(digits + string(chk)); err == nil && o.String() != s {
				return o
			}
		}
	}
	t.Fatal("no other code")
	return certmove.Code{}
}

func TestCertMoveThroughRelay(t *testing.T) {
	m := newMoveSetup(t, nil)
	ctx := context.Background()
	rec := &recorder{Relay: m.relay()}
	code, done := startSend(t, rec, certmove.SendOptions{Bundle: m.bundle})
	path, err := receiveInto(t, rec, m.a.id, code)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("sender: %v", err)
	}
	// The files arrive byte for byte, the key still encrypted.
	got, _ := os.ReadFile(path)
	key, _ := os.ReadFile(filepath.Join(filepath.Dir(path), "signPri.key"))
	if !bytes.Equal(got, m.bundle.Cert) || !bytes.Equal(key, m.bundle.Key) {
		t.Fatal("received files differ from the sent ones")
	}
	// Nothing of the transfer passed in the clear.
	for _, b := range rec.seen {
		if bytes.Contains(b, m.bundle.Key[:64]) || bytes.Contains(b, m.bundle.Cert[:64]) {
			t.Fatal("the relay saw the certificate files in the clear")
		}
	}
	// The slot is gone once the sender saw the acknowledgement.
	var n int
	m.h.st.Ping(ctx)
	if slots, _ := m.h.st.PruneMoveSlots(ctx, m.h.clock.Now().Add(time.Hour)); len(slots) != 0 {
		n = len(slots)
	}
	if n != 0 {
		t.Fatalf("%d slot rows left after the move", n)
	}
	events := map[string]bool{}
	audit, _ := m.h.st.ListAudit(ctx, store.AuditFilter{UserID: m.a.id})
	for _, e := range audit {
		events[e.Event] = true
	}
	for _, e := range []string{"certmove_open", "certmove_join", "certmove_done"} {
		if !events[e] {
			t.Errorf("audit log lacks %s", e)
		}
	}
}

func TestCertMoveWrongCodeBurnsSlot(t *testing.T) {
	m := newMoveSetup(t, nil)
	code, done := startSend(t, m.relay(), certmove.SendOptions{Bundle: m.bundle})
	_, err := receiveInto(t, m.relay(), m.a.id, otherCode(t, code))
	if api.CodeOf(err) != api.CodeCertMoveMismatch {
		t.Fatalf("receiver: %v, want mismatch", err)
	}
	if err := <-done; api.CodeOf(err) != api.CodeCertMoveMismatch {
		t.Fatalf("sender: %v, want mismatch", err)
	}
	// A second join, even with the right code, is refused: the slot burnt.
	_, err = receiveInto(t, m.relay(), m.a.id, code)
	if c := api.CodeOf(err); c != api.CodeCertMoveMismatch && c != api.CodeCertMoveTaken {
		t.Fatalf("second join: %v", err)
	}
	slots, _ := m.h.st.PruneMoveSlots(context.Background(), m.h.clock.Now().Add(time.Hour))
	if len(slots) != 1 || slots[0].Stage != store.MoveBurnt {
		t.Fatalf("slot rows: %+v", slots)
	}
	audit, _ := m.h.st.ListAudit(context.Background(), store.AuditFilter{Event: "certmove_burnt"})
	if len(audit) != 1 {
		t.Fatalf("burn audited %d times", len(audit))
	}
}

func TestCertMoveExpiry(t *testing.T) {
	m := newMoveSetup(t, nil)
	ctx := context.Background()
	open, err := m.h.client.CertMoveOpen(ctx, m.token, &api.CertMoveOpenRequest{Certificate: m.bundle.Cert})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.h.client.CertMovePut(ctx, &api.CertMovePutRequest{SlotID: open.SlotID, Token: open.Token, Step: api.CertMoveA, Data: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	m.h.clock.Advance(api.CertMoveTTL + time.Second)
	_, err = m.h.client.CertMoveJoin(ctx, &api.CertMoveJoinRequest{UserID: m.a.id, Slot: open.Slot})
	wantCode(t, err, api.CodeCertMoveExpired)
	_, err = m.h.client.CertMoveGet(ctx, &api.CertMoveGetRequest{SlotID: open.SlotID, Token: open.Token, Step: api.CertMoveB})
	wantCode(t, err, api.CodeCertMoveExpired)
	slot, err := m.h.st.MoveSlotByID(ctx, open.SlotID)
	if err != nil || slot.MsgA != nil {
		t.Fatalf("expired slot keeps its message: %+v %v", slot, err)
	}
	m.h.clock.Advance(2 * time.Minute)
	m.h.srv.Reconcile(ctx)
	if _, err := m.h.st.MoveSlotByID(ctx, open.SlotID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired slot not pruned: %v", err)
	}
	if audit, _ := m.h.st.ListAudit(ctx, store.AuditFilter{Event: "certmove_expired"}); len(audit) != 1 {
		t.Fatalf("expiry audited %d times", len(audit))
	}
}

func TestCertMoveDeviceLimit(t *testing.T) {
	m := newMoveSetup(t, func(c *Config) {
		g := c.Groups["default"]
		g.CertMove.MaxDevices = 2
		c.Groups["default"] = g
	})
	code, done := startSend(t, m.relay(), certmove.SendOptions{Bundle: m.bundle})
	if _, err := receiveInto(t, m.relay(), m.a.id, code); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	_, err := m.h.client.CertMoveOpen(context.Background(), m.token, &api.CertMoveOpenRequest{Certificate: m.bundle.Cert})
	wantCode(t, err, api.CodeCertMoveDeviceLimit)
	// A move that deletes the sender's copy does not add a device: with
	// the limit reset it works, and the next still does.
	h := sha256.Sum256(m.bundle.Cert)
	m.h.st.ResetCertMoves(context.Background(), hex.EncodeToString(h[:]))
	for range 2 {
		code, done = startSend(t, m.relay(), certmove.SendOptions{Bundle: m.bundle, DeleteAfter: true})
		if _, err := receiveInto(t, m.relay(), m.a.id, code); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

func TestCertMovePolicy(t *testing.T) {
	m := newMoveSetup(t, func(c *Config) {
		g := c.Groups["default"]
		g.CertMove.Disabled = true
		c.Groups["default"] = g
	})
	ctx := context.Background()
	_, err := m.h.client.CertMoveOpen(ctx, m.token, &api.CertMoveOpenRequest{Certificate: m.bundle.Cert})
	wantCode(t, err, api.CodeCertMoveDisabled)

	m = newMoveSetup(t, nil)
	_, err = m.h.client.CertMoveOpen(ctx, "not-a-session", &api.CertMoveOpenRequest{Certificate: m.bundle.Cert})
	wantCode(t, err, api.CodeUnauthorized)
	other := m.h.userWithCertificate("x", "y", nil, certgen.UserOptions{Name: "남"})
	_, err = m.h.client.CertMoveOpen(ctx, m.token, &api.CertMoveOpenRequest{Certificate: other.identity.Certificate.X509.Raw})
	wantCode(t, err, api.CodeCertMoveNotRegistered)
	_, err = m.h.client.CertMoveOpen(ctx, m.token, &api.CertMoveOpenRequest{Certificate: []byte("junk")})
	wantCode(t, err, api.CodeCertMoveProtocol)
	// At most moveMaxLive slots wait at once.
	for range moveMaxLive {
		if _, err := m.h.client.CertMoveOpen(ctx, m.token, &api.CertMoveOpenRequest{Certificate: m.bundle.Cert}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = m.h.client.CertMoveOpen(ctx, m.token, &api.CertMoveOpenRequest{Certificate: m.bundle.Cert})
	wantCode(t, err, api.CodeRateLimited)
	audit, _ := m.h.st.ListAudit(ctx, store.AuditFilter{Event: "certmove_refused"})
	if len(audit) < 3 {
		t.Fatalf("refusals audited %d times", len(audit))
	}
}

func TestCertMoveJoinRateLimit(t *testing.T) {
	m := newMoveSetup(t, nil)
	ctx := context.Background()
	for i := range moveJoinPerUser {
		_, err := m.h.client.CertMoveJoin(ctx, &api.CertMoveJoinRequest{UserID: m.a.id, Slot: "999"})
		if api.CodeOf(err) != api.CodeCertMoveNotFound {
			t.Fatalf("join %d: %v", i, err)
		}
	}
	_, err := m.h.client.CertMoveJoin(ctx, &api.CertMoveJoinRequest{UserID: m.a.id, Slot: "999"})
	if r := wantCode(t, err, api.CodeRateLimited); r.RetryAfter <= 0 {
		t.Fatal("no Retry-After")
	}
	// Another user from the same address still has tries until the
	// address's own limit.
	for i := moveJoinPerUser; i < moveJoinPerSource; i++ {
		_, err := m.h.client.CertMoveJoin(ctx, &api.CertMoveJoinRequest{UserID: "someone", Slot: "999"})
		if api.CodeOf(err) == api.CodeRateLimited && i < moveJoinPerSource-1 {
			t.Fatalf("join %d of the address refused early", i)
		}
	}
	_, err = m.h.client.CertMoveJoin(ctx, &api.CertMoveJoinRequest{UserID: "third", Slot: "999"})
	wantCode(t, err, api.CodeRateLimited)
}

func TestCertMoveOrderAndSides(t *testing.T) {
	m := newMoveSetup(t, nil)
	ctx := context.Background()
	c := m.h.client
	open, err := c.CertMoveOpen(ctx, m.token, &api.CertMoveOpenRequest{Certificate: m.bundle.Cert})
	if err != nil {
		t.Fatal(err)
	}
	put := func(tok string, step api.CertMoveStep, data []byte) error {
		return c.CertMovePut(ctx, &api.CertMovePutRequest{SlotID: open.SlotID, Token: tok, Step: step, Data: data})
	}
	// Before A, nobody can join.
	_, err = c.CertMoveJoin(ctx, &api.CertMoveJoinRequest{UserID: m.a.id, Slot: open.Slot})
	wantCode(t, err, api.CodeCertMoveNotFound)
	wantCode(t, put(open.Token, api.CertMoveTA, []byte("x")), api.CodeCertMoveProtocol) // out of order
	wantCode(t, put(open.Token, api.CertMoveB, []byte("x")), api.CodeCertMoveProtocol)  // the receiver's step
	wantCode(t, put(open.Token, api.CertMoveA, nil), api.CodeCertMoveProtocol)          // no data
	wantCode(t, put("guess", api.CertMoveA, []byte("x")), api.CodeCertMoveNotFound)     // wrong token
	if err := put(open.Token, api.CertMoveA, []byte("a")); err != nil {
		t.Fatal(err)
	}
	wantCode(t, put(open.Token, api.CertMoveA, []byte("a")), api.CodeCertMoveProtocol) // twice
	join, err := c.CertMoveJoin(ctx, &api.CertMoveJoinRequest{UserID: m.a.id, Slot: open.Slot})
	if err != nil || string(join.A) != "a" {
		t.Fatalf("join: %+v %v", join, err)
	}
	_, err = c.CertMoveJoin(ctx, &api.CertMoveJoinRequest{UserID: m.a.id, Slot: open.Slot})
	wantCode(t, err, api.CodeCertMoveTaken)
	wantCode(t, put(join.Token, api.CertMoveTA, []byte("x")), api.CodeCertMoveProtocol) // the sender's step
	_, err = c.CertMoveGet(ctx, &api.CertMoveGetRequest{SlotID: open.SlotID, Token: join.Token, Step: api.CertMoveB})
	wantCode(t, err, api.CodeCertMoveProtocol) // the sender's to wait for
	resp, err := c.CertMoveGet(ctx, &api.CertMoveGetRequest{SlotID: open.SlotID, Token: open.Token, Step: api.CertMoveB})
	if err != nil || resp.Ready {
		t.Fatalf("B before it was put: %+v %v", resp, err)
	}
	big := make([]byte, api.CertMoveMaxData+1)
	err = put(join.Token, api.CertMoveB, big)
	if c := api.CodeOf(err); c != api.CodeCertMoveProtocol && c != api.CodeBadRequest {
		t.Fatalf("oversized data: %v", err)
	}
	// A Get waiting for B wakes when B comes.
	got := make(chan *api.CertMoveGetResponse, 1)
	go func() {
		r, _ := c.CertMoveGet(ctx, &api.CertMoveGetRequest{SlotID: open.SlotID, Token: open.Token, Step: api.CertMoveB, WaitSeconds: 10})
		got <- r
	}()
	time.Sleep(50 * time.Millisecond)
	if err := put(join.Token, api.CertMoveB, []byte("b")); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-got:
		if r == nil || !r.Ready || string(r.Data) != "b" {
			t.Fatalf("woken Get: %+v", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting Get did not wake")
	}
	// Either side burns the slot; afterwards nothing works.
	if err := put(join.Token, api.CertMoveFail, nil); err != nil {
		t.Fatal(err)
	}
	wantCode(t, put(open.Token, api.CertMoveTA, []byte("t")), api.CodeCertMoveMismatch)
	_, err = c.CertMoveGet(ctx, &api.CertMoveGetRequest{SlotID: open.SlotID, Token: open.Token, Step: api.CertMoveReady})
	wantCode(t, err, api.CodeCertMoveMismatch)
	slot, _ := m.h.st.MoveSlotByID(ctx, open.SlotID)
	if slot.MsgA != nil || slot.MsgB != nil {
		t.Fatal("a burnt slot keeps its messages")
	}
}

// fixedReader returns the same bytes forever: the sender's CPace scalar
// becomes known to the test (never to an attacker), for the control
// below.
type fixedReader []byte

func (f fixedReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = f[i%len(f)]
	}
	return len(p), nil
}

// TestCertMoveOfflineGuessing: everything the relay stores and everything
// that passes through it, captured during a real move, does not let an
// attacker check a guessed code offline. The attacker below tries every
// check it can compute from public data; the true code fares no better
// than a wrong one. Controls show the checks do work when the design would
// leak: with the sender's ephemeral scalar, and against a key derived from
// the code alone.
func TestCertMoveOfflineGuessing(t *testing.T) {
	m := newMoveSetup(t, nil)
	ctx := context.Background()
	rec := &recorder{Relay: m.relay()}
	seed := bytes.Repeat([]byte{7}, 32)
	var rows []store.MoveSlot
	var slotID string
	snap := &snapshotRelay{recorder: rec, st: m.h.st, rows: &rows, slotID: &slotID}
	code, done := startSend(t, snap, certmove.SendOptions{Bundle: m.bundle, Rand: fixedReader(seed)})
	if _, err := receiveInto(t, snap, m.a.id, code); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatal("no rows captured")
	}
	last := rows[len(rows)-1] // the fullest row: A, B, Ta, payload
	if last.MsgA == nil || last.MsgB == nil || last.TagA == nil || last.Payload == nil {
		t.Fatalf("captured row incomplete: stage %d", last.Stage)
	}
	aParts := splitLV(t, last.MsgA, 2)
	bParts := splitLV(t, last.MsgB, 3)
	ya, ada, yb, adb, tb := aParts[0], aParts[1], bParts[0], bParts[1], bParts[2]
	sid, _ := hex.DecodeString(last.ID)
	ci := []byte("svpn-certmove/1")

	// The code, its secret digits, and simple hashes of them appear in no
	// stored or relayed byte.
	digits := bytes.ReplaceAll([]byte(code.String()), []byte("-"), nil)
	needles := [][]byte{digits, digits[3:11], []byte(code.String())}
	for _, n := range [][]byte{digits, digits[3:11]} {
		s1 := sha256.Sum256(n)
		s5 := sha512.Sum512(n)
		needles = append(needles, s1[:16], s5[:16])
	}
	hay := append([][]byte{last.MsgA, last.MsgB, last.TagA, last.Payload, []byte(last.CertKey), []byte(last.SenderToken), []byte(last.ReceiverToken)}, rec.seen...)
	for _, h := range hay {
		for _, n := range needles {
			if bytes.Contains(h, n) {
				t.Fatalf("stored/relayed data contains %x", n)
			}
		}
	}

	// The attacker's offline checks for a guess: everything computable
	// from the transcript and the guess. None may single out the code.
	publicChecks := func(guess []byte) bool {
		g := cpace.Generator(guess, ci, sid)
		var candidates [][]byte
		candidates = append(candidates, g.Encode(nil), ya, yb)
		pa, pb := ristretto255.NewElement(), ristretto255.NewElement()
		if pa.Decode(ya) == nil && pb.Decode(yb) == nil {
			candidates = append(candidates, ristretto255.NewElement().Add(pa, pb).Encode(nil),
				ristretto255.NewElement().Add(g, pa).Encode(nil), ristretto255.NewElement().Add(g, pb).Encode(nil))
		}
		for _, k := range candidates {
			h := sha512.New()
			h.Write(cpace.LVCat([]byte(cpace.DSI+"_ISK"), sid, k))
			h.Write(cpace.TranscriptIR(ya, ada, yb, adb))
			if tagMatches(h.Sum(nil), sid, cpace.LVCat(yb, adb), tb) {
				return true
			}
		}
		// A key derived from the code alone (the mistake CPace avoids).
		return naiveOpens(guess, sid, last.Payload)
	}
	wrong := 0
	for i := range 300 {
		guess := []byte(otherDigits(digits, i))
		if publicChecks(guess) {
			t.Fatalf("a wrong guess %s passed an offline check", guess)
		}
		wrong++
	}
	if publicChecks(digits) {
		t.Fatal("the true code is recognisable offline from the transcript")
	}

	// Control 1: with the sender's secret scalar (which never leaves the
	// sender) the true code is recognised, a wrong one is not: the check
	// is real, so its failure above means the transcript alone is not
	// enough.
	y, err := cpace.SampleScalar(fixedReader(seed))
	if err != nil {
		t.Fatal(err)
	}
	withScalar := func(guess []byte) bool {
		return bytes.Equal(ristretto255.NewElement().ScalarMult(y, cpace.Generator(guess, ci, sid)).Encode(nil), ya)
	}
	if !withScalar(digits) || withScalar([]byte(otherDigits(digits, 1))) {
		t.Fatal("control: the scalar check does not single out the code")
	}
	// Control 2: had the payload been sealed under a key derived from the
	// code alone, the attacker's naive check would find the code.
	sealed := naiveSeal(digits, sid, []byte("files"))
	if !naiveOpens(digits, sid, sealed) || naiveOpens([]byte(otherDigits(digits, 2)), sid, sealed) {
		t.Fatal("control: the naive-key check does not work")
	}
	_ = ctx
}

func splitLV(t *testing.T, b []byte, n int) [][]byte {
	var out [][]byte
	for range n {
		if len(b) == 0 || b[0] >= 0x80 {
			t.Fatalf("unexpected framing %x", b)
		}
		l := int(b[0])
		out = append(out, b[1:1+l])
		b = b[1+l:]
	}
	return out
}

func tagMatches(isk, sid, msg, tag []byte) bool {
	h := sha512.New()
	h.Write([]byte("CPaceMac"))
	h.Write(sid)
	h.Write(isk)
	return bytes.Equal(hmacSHA512(h.Sum(nil), msg), tag)
}

func naiveKey(code, sid []byte) []byte {
	k := make([]byte, 32)
	hkdf.New(sha512.New, code, sid, nil).Read(k)
	return k
}

func naiveSeal(code, sid, plain []byte) []byte {
	a, _ := chacha20poly1305.New(naiveKey(code, sid))
	return a.Seal(nil, make([]byte, 12), plain, nil)
}

func naiveOpens(code, sid, sealed []byte) bool {
	a, _ := chacha20poly1305.New(naiveKey(code, sid))
	_, err := a.Open(nil, make([]byte, 12), sealed, nil)
	return err == nil
}

// otherDigits is a wrong code with the same slot and a valid check digit.
func otherDigits(code []byte, i int) string {
	for j := i; ; j++ {
		body := string(code[:3]) + string(rune('0'+j%10)) + string(rune('0'+(j/10)%10)) + string(rune('0'+(j/100)%10)) + "43210"
		for chk := '0'; chk <= '9'; chk++ {
			s := body + string(chk)
			if _, err := certmove.ParseCode(s); err == nil && s != string(code) {
				return s
			}
		}
	}
}

// snapshotRelay records the slot's row after every message: what the
// gateway's database holds at each point.
type snapshotRelay struct {
	*recorder
	st     *store.Store
	rows   *[]store.MoveSlot
	slotID *string
}

func (s *snapshotRelay) CertMoveOpen(ctx context.Context, req *api.CertMoveOpenRequest) (*api.CertMoveOpenResponse, error) {
	resp, err := s.recorder.CertMoveOpen(ctx, req)
	if err == nil {
		*s.slotID = resp.SlotID
	}
	return resp, err
}

func (s *snapshotRelay) CertMovePut(ctx context.Context, req *api.CertMovePutRequest) error {
	err := s.recorder.CertMovePut(ctx, req)
	if row, rerr := s.st.MoveSlotByID(ctx, req.SlotID); rerr == nil && row.Stage <= store.MovePayload {
		s.recorder.mu.Lock()
		*s.rows = append(*s.rows, row)
		s.recorder.mu.Unlock()
	}
	return err
}

func hmacSHA512(key, msg []byte) []byte {
	m := hmac.New(sha512.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// tamperer is a malicious relay: it flips a bit of one step's data on
// its way.
type tamperer struct {
	certmove.Relay
	step api.CertMoveStep
}

func flip(b []byte) []byte {
	out := append([]byte(nil), b...)
	if len(out) > 0 {
		out[len(out)/2] ^= 0x01
	}
	return out
}

func (r *tamperer) CertMoveJoin(ctx context.Context, req *api.CertMoveJoinRequest) (*api.CertMoveJoinResponse, error) {
	resp, err := r.Relay.CertMoveJoin(ctx, req)
	if err == nil && r.step == api.CertMoveA {
		resp.A = flip(resp.A) // the middle byte is in ADa
	}
	if err == nil && r.step == "ya" {
		// Another valid element in place of Ya: Ya + B.
		resp.A = append([]byte(nil), resp.A...)
		y := ristretto255.NewElement()
		if y.Decode(resp.A[1:33]) == nil {
			copy(resp.A[1:33], y.Add(y, ristretto255.NewElement().Base()).Encode(nil))
		}
	}
	return resp, err
}

func (r *tamperer) CertMoveGet(ctx context.Context, req *api.CertMoveGetRequest) (*api.CertMoveGetResponse, error) {
	resp, err := r.Relay.CertMoveGet(ctx, req)
	if err == nil && resp.Ready && req.Step == r.step {
		resp.Data = flip(resp.Data)
	}
	return resp, err
}

// TestCertMoveTamperingRelay: a relay that changes any message makes both
// sides fail, the slot burns, and no file is written.
func TestCertMoveTamperingRelay(t *testing.T) {
	for _, step := range []api.CertMoveStep{api.CertMoveA, "ya", api.CertMoveB, api.CertMoveTA, api.CertMovePayload} {
		t.Run(string(step), func(t *testing.T) {
			m := newMoveSetup(t, nil)
			evil := &tamperer{Relay: m.relay(), step: step}
			code, done := startSend(t, evil, certmove.SendOptions{Bundle: m.bundle})
			dest := certmove.Removable(t.TempDir())
			saved := false
			_, err := certmove.Receive(context.Background(), evil, certmove.ReceiveOptions{UserID: m.a.id, Code: code,
				Save: func(b *certmove.Bundle) (string, error) { saved = true; return b.Install(dest) }})
			if err == nil || saved {
				t.Fatalf("receiver accepted a changed %s (saved %v): %v", step, saved, err)
			}
			want := api.CodeCertMoveMismatch // the keys differ: key confirmation fails
			switch step {
			case api.CertMoveA, api.CertMovePayload:
				want = api.CodeCertMoveProtocol // the version/slot check, the AEAD
			}
			if c := api.CodeOf(err); c != want {
				t.Fatalf("receiver: %v, want %s", err, want)
			}
			if err := <-done; api.CodeOf(err) != api.CodeCertMoveMismatch && api.CodeOf(err) != api.CodeCertMoveProtocol {
				t.Fatalf("sender: %v", err)
			}
			slots, _ := m.h.st.PruneMoveSlots(context.Background(), m.h.clock.Now().Add(time.Hour))
			if len(slots) != 1 || slots[0].Stage != store.MoveBurnt {
				t.Fatalf("slot not burnt: %+v", slots)
			}
		})
	}
}

// TestCertMoveSenderSeesExpiry: a sender waiting for a receiver that never
// comes learns that the code expired (E-265), and a late receiver too.
func TestCertMoveSenderSeesExpiry(t *testing.T) {
	m := newMoveSetup(t, nil)
	code, done := startSend(t, m.relay(), certmove.SendOptions{Bundle: m.bundle})
	m.h.clock.Advance(api.CertMoveTTL + time.Second)
	select {
	case err := <-done:
		if api.CodeOf(err) != api.CodeCertMoveExpired {
			t.Fatalf("sender: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the sender did not notice the expiry")
	}
	if _, err := receiveInto(t, m.relay(), m.a.id, code); api.CodeOf(err) != api.CodeCertMoveExpired {
		t.Fatalf("late receiver: %v", err)
	}
}

// TestCertMoveWaitersBounded: Gets for slots that do not exist, or with a
// wrong token, leave nothing behind on the gateway.
func TestCertMoveWaitersBounded(t *testing.T) {
	m := newMoveSetup(t, nil)
	ctx := context.Background()
	open, err := m.h.client.CertMoveOpen(ctx, m.token, &api.CertMoveOpenRequest{Certificate: m.bundle.Cert})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		id := store.NewID()
		if i%2 == 0 {
			id = open.SlotID
		}
		_, err := m.h.client.CertMoveGet(ctx, &api.CertMoveGetRequest{SlotID: id, Token: "forged", Step: api.CertMoveB, WaitSeconds: 1})
		wantCode(t, err, api.CodeCertMoveNotFound)
	}
	m.h.srv.moves.mu.Lock()
	n := len(m.h.srv.moves.ch)
	m.h.srv.moves.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d waiters left by refused Gets", n)
	}
}

// TestCertMoveRefusals: requests the relay refuses before touching a slot.
func TestCertMoveRefusals(t *testing.T) {
	m := newMoveSetup(t, nil)
	ctx := context.Background()
	c := m.h.client
	for _, slot := range []string{"", "12", "1234", "12a", "-12"} {
		_, err := c.CertMoveJoin(ctx, &api.CertMoveJoinRequest{UserID: m.a.id, Slot: slot})
		wantCode(t, err, api.CodeBadRequest)
	}
	_, err := c.CertMoveJoin(ctx, &api.CertMoveJoinRequest{UserID: "bad id\n", Slot: "123"})
	wantCode(t, err, api.CodeBadRequest)
	open, err := c.CertMoveOpen(ctx, m.token, &api.CertMoveOpenRequest{Certificate: m.bundle.Cert})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CertMoveGet(ctx, &api.CertMoveGetRequest{SlotID: open.SlotID, Token: open.Token, Step: "payload2"})
	wantCode(t, err, api.CodeCertMoveProtocol)
	err = c.CertMovePut(ctx, &api.CertMovePutRequest{SlotID: open.SlotID, Token: open.Token, Step: "a2", Data: []byte("x")})
	wantCode(t, err, api.CodeCertMoveProtocol)
	_, err = c.CertMoveGet(ctx, &api.CertMoveGetRequest{SlotID: "short", Token: open.Token, Step: api.CertMoveB})
	wantCode(t, err, api.CodeBadRequest)
	// An ended session opens nothing.
	if err := c.Logout(ctx, m.token); err != nil {
		t.Fatal(err)
	}
	_, err = c.CertMoveOpen(ctx, m.token, &api.CertMoveOpenRequest{Certificate: m.bundle.Cert})
	wantCode(t, err, api.CodeSessionEnded)
}

func TestCertMovePolicyConfig(t *testing.T) {
	var c Config
	raw := `{"gateway_id":"gw","store":"sqlite:x","trust_anchors":["a"],"wireguard":{"address":"10.77.0.1/24"},
		"groups":{"default":{"routes":[],"cert_move":{"disabled":true,"max_devices":-1}}}}`
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		t.Fatal(err)
	}
	c.SetDefaults()
	if p := c.group("default").CertMove; !p.Disabled || p.MaxDevices != -1 {
		t.Fatalf("cert_move read as %+v", p)
	}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "groups.default.cert_move.max_devices") {
		t.Fatalf("a negative max_devices: %v", err)
	}
}

// TestCertMoveClockSkew: PCs whose clocks differ from the gateway's (an
// hour ahead of it, 20 minutes behind) still move: the relay's clock
// decides expiry, each PC waits by its own.
func TestCertMoveClockSkew(t *testing.T) {
	for _, skew := range []time.Duration{-time.Hour, 20 * time.Minute} { // ahead: within the session's idle time
		m := newMoveSetup(t, nil)
		m.h.clock.Advance(skew)
		code, done := startSend(t, m.relay(), certmove.SendOptions{Bundle: m.bundle})
		if _, err := receiveInto(t, m.relay(), m.a.id, code); err != nil {
			t.Fatalf("skew %v: receiver: %v", skew, err)
		}
		if err := <-done; err != nil {
			t.Fatalf("skew %v: sender: %v", skew, err)
		}
	}
}
