// Package cpace is the CPace balanced PAKE of draft-irtf-cfrg-cpace
// (the cipher suite CPACE-RISTR255-SHA512), in the initiator-responder
// setting, with the draft's recommended explicit key confirmation.
//
// Two parties who share a low-entropy secret (PRS, here the digits of a
// one-time code) each send one group element; both derive the same
// intermediate session key ISK if and only if they used the same PRS, CI,
// sid and saw the same messages. Someone who only sees (or relays, or
// stores) the messages learns nothing that lets them test a guess of the
// PRS offline: each message is y·g with a fresh secret scalar y and a
// generator g derived from the PRS, and telling whether a transcript fits a
// guessed PRS means solving a Diffie-Hellman problem in ristretto255. An
// active attacker who plays one side gets one guess per protocol run, and
// the confirmation tags tell the honest side that the guess was wrong.
//
// The group is github.com/gtank/ristretto255 (RFC 9496); the test file
// checks every value against the draft's ristretto255 test vectors.
package cpace

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha512"
	"crypto/subtle"
	"errors"
	"io"

	"github.com/gtank/ristretto255"
)

// DSI is the domain-separation identifier of the ristretto255 group.
const DSI = "CPaceRistretto255"

// hashBlockSize is SHA-512's input block size (H.s_in_bytes).
const hashBlockSize = 128

// ElementSize is the size of an encoded group element (a message Y).
const ElementSize = 32

// ISKSize is the size of the intermediate session key (SHA-512 output).
const ISKSize = sha512.Size

// ErrInvalidMessage is returned when the peer's element does not decode to
// a group element or is the identity: the protocol aborts.
var ErrInvalidMessage = errors.New("cpace: invalid peer message")

// ErrConfirmation is returned when the peer's confirmation tag does not
// match: the peer used another PRS (or the messages were changed).
var ErrConfirmation = errors.New("cpace: key confirmation failed")

// PrependLen is prepend_len: the LEB128 length of data, then data.
func PrependLen(data []byte) []byte {
	out := leb128(len(data))
	return append(out, data...)
}

func leb128(n int) []byte {
	var out []byte
	for {
		b := byte(n & 0x7f)
		n >>= 7
		if n == 0 {
			return append(out, b)
		}
		out = append(out, b|0x80)
	}
}

// LVCat is lv_cat: the concatenation of each argument with its length
// prepended.
func LVCat(args ...[]byte) []byte {
	var out []byte
	for _, a := range args {
		out = append(out, PrependLen(a)...)
	}
	return out
}

// lexLarger reports whether a > b in the draft's lexicographic order.
func lexLarger(a, b []byte) bool {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return a[i] > b[i]
		}
	}
	return len(a) > len(b)
}

// OCat is o_cat: "oc", then the lexicographically larger string, then the
// other.
func OCat(a, b []byte) []byte {
	if !lexLarger(a, b) {
		a, b = b, a
	}
	out := append([]byte("oc"), a...)
	return append(out, b...)
}

// TranscriptIR is transcript_ir, the initiator-responder transcript.
func TranscriptIR(ya, ada, yb, adb []byte) []byte {
	return append(LVCat(ya, ada), LVCat(yb, adb)...)
}

// TranscriptOC is transcript_oc, the transcript of the symmetric setting
// (unused by this package's protocol; kept with its test vector).
func TranscriptOC(ya, ada, yb, adb []byte) []byte {
	return OCat(LVCat(ya, ada), LVCat(yb, adb))
}

// GeneratorString is generator_string(DSI, PRS, CI, sid, s_in_bytes): the
// zero padding makes the PRS and DSI fill the hash's first block.
func GeneratorString(dsi, prs, ci, sid []byte, blockSize int) []byte {
	zpad := max(0, blockSize-1-len(PrependLen(prs))-len(PrependLen(dsi)))
	return LVCat(dsi, prs, make([]byte, zpad), ci, sid)
}

// Generator is G.calculate_generator(H, PRS, CI, sid): the hash of the
// generator string mapped to the group with ristretto255's element
// derivation.
func Generator(prs, ci, sid []byte) *ristretto255.Element {
	h := sha512.Sum512(GeneratorString([]byte(DSI), prs, ci, sid, hashBlockSize))
	return ristretto255.NewElement().FromUniformBytes(h[:])
}

// SampleScalar is G.sample_scalar() as the draft recommends: 32 random
// bytes with the bits above the 252nd cleared (so the value is below the
// group order and canonical). Zero is rejected.
func SampleScalar(r io.Reader) (*ristretto255.Scalar, error) {
	if r == nil {
		r = rand.Reader
	}
	var b [32]byte
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, err
		}
		b[31] &= 0x0f
		s := ristretto255.NewScalar()
		if err := s.Decode(b[:]); err != nil {
			return nil, err // cannot happen: the value is below 2^252
		}
		if s.Equal(ristretto255.NewScalar()) == 0 {
			return s, nil
		}
	}
}

// identity is G.I, the encoding of the neutral element.
var identity = ristretto255.NewElement().Zero().Encode(nil)

// ScalarMultVfy is G.scalar_mult_vfy(y, X): y·decode(X) encoded, or
// ErrInvalidMessage if X does not decode or the result is the identity.
func ScalarMultVfy(y *ristretto255.Scalar, x []byte) ([]byte, error) {
	p := ristretto255.NewElement()
	if err := p.Decode(x); err != nil {
		return nil, ErrInvalidMessage
	}
	k := ristretto255.NewElement().ScalarMult(y, p).Encode(nil)
	if subtle.ConstantTimeCompare(k, identity) == 1 {
		return nil, ErrInvalidMessage
	}
	return k, nil
}

// Party is one side of a CPace run: its secret scalar, its message and its
// associated data. Use it once.
type Party struct {
	initiator bool
	sid       []byte
	y         *ristretto255.Scalar
	msg, ad   []byte
}

// Start begins a run: it derives the generator from prs, ci and sid, picks
// a fresh scalar from rnd (crypto/rand when nil) and returns the party,
// whose Message is sent to the peer with its associated data ad.
// The initiator's transcript comes first.
func Start(initiator bool, prs, ci, sid, ad []byte, rnd io.Reader) (*Party, error) {
	y, err := SampleScalar(rnd)
	if err != nil {
		return nil, err
	}
	return startWith(initiator, y, prs, ci, sid, ad), nil
}

func startWith(initiator bool, y *ristretto255.Scalar, prs, ci, sid, ad []byte) *Party {
	g := Generator(prs, ci, sid)
	msg := ristretto255.NewElement().ScalarMult(y, g).Encode(nil)
	return &Party{initiator: initiator, sid: append([]byte(nil), sid...), y: y, msg: msg, ad: append([]byte(nil), ad...)}
}

// Message is Y, the element this party sends.
func (p *Party) Message() []byte { return append([]byte(nil), p.msg...) }

// Finish takes the peer's element and associated data and returns the
// intermediate session key ISK, or ErrInvalidMessage.
func (p *Party) Finish(peerMsg, peerAD []byte) (*Keys, error) {
	k, err := ScalarMultVfy(p.y, peerMsg)
	if err != nil {
		return nil, err
	}
	ya, ada, yb, adb := p.msg, p.ad, peerMsg, peerAD
	if !p.initiator {
		ya, ada, yb, adb = yb, adb, ya, ada
	}
	h := sha512.New()
	h.Write(LVCat([]byte(DSI+"_ISK"), p.sid, k))
	h.Write(TranscriptIR(ya, ada, yb, adb))
	isk := h.Sum(nil)
	return &Keys{ISK: isk, sid: p.sid, own: LVCat(p.msg, p.ad), peer: LVCat(peerMsg, peerAD)}, nil
}

// Keys is the outcome of a run: ISK and what key confirmation needs.
type Keys struct {
	ISK       []byte
	sid       []byte
	own, peer []byte // lv_cat(Y, AD) of this party and of the peer
}

// macKey is H.hash(b"CPaceMac" || sid || ISK).
func (k *Keys) macKey() []byte {
	h := sha512.New()
	h.Write([]byte("CPaceMac"))
	h.Write(k.sid)
	h.Write(k.ISK)
	return h.Sum(nil)
}

func (k *Keys) tag(msg []byte) []byte {
	m := hmac.New(sha512.New, k.macKey())
	m.Write(msg)
	return m.Sum(nil)
}

// ConfirmationTag is this party's tag: MAC(mac_key, lv_cat(Y, AD)) over
// the message it sent (the draft's key confirmation, HMAC-SHA-512).
func (k *Keys) ConfirmationTag() []byte { return k.tag(k.own) }

// VerifyPeer checks the peer's tag in constant time.
func (k *Keys) VerifyPeer(tag []byte) error {
	if !hmac.Equal(tag, k.tag(k.peer)) {
		return ErrConfirmation
	}
	return nil
}
