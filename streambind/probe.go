package streambind

import (
	"bytes"
)

// The UDP probe. WireGuard's message types are 1–4 in the first byte with
// three zero bytes after it; a probe starts with bytes no WireGuard
// message has, so neither side's device ever mistakes one for its own.
// The request is padded to more than three times the reply, so answering
// a spoofed request sends less towards the victim than the attacker sent.
var (
	probeRequestMagic = []byte("\xf1SVPN-udp-probe1")
	probeReplyMagic   = []byte("\xf2SVPN-udp-probe1")
)

const (
	probeNonceLen   = 16
	probeReplyLen   = 16 + probeNonceLen // 32
	probeRequestLen = 128
)

// probeRequest is a request carrying nonce.
func probeRequest(nonce [probeNonceLen]byte) []byte {
	b := make([]byte, probeRequestLen)
	copy(b, probeRequestMagic)
	copy(b[len(probeRequestMagic):], nonce[:])
	return b
}

// probeAnswer returns the reply to pkt if pkt is a probe request.
func probeAnswer(pkt []byte) ([]byte, bool) {
	if len(pkt) != probeRequestLen || !bytes.HasPrefix(pkt, probeRequestMagic) {
		return nil, false
	}
	r := make([]byte, probeReplyLen)
	copy(r, probeReplyMagic)
	copy(r[len(probeReplyMagic):], pkt[len(probeRequestMagic):len(probeRequestMagic)+probeNonceLen])
	return r, true
}

// probeReplyNonce returns the nonce of pkt if pkt is a probe reply.
func probeReplyNonce(pkt []byte) ([probeNonceLen]byte, bool) {
	var n [probeNonceLen]byte
	if len(pkt) != probeReplyLen || !bytes.HasPrefix(pkt, probeReplyMagic) {
		return n, false
	}
	copy(n[:], pkt[len(probeReplyMagic):])
	return n, true
}
