package tunnel

import (
	"github.com/opensvpn/svpn/internal/uapi"
	"github.com/opensvpn/svpn/wgkey"
)

// parsePeerStats finds peer in the answer of a UAPI "get" operation
// (internal/uapi parses it, as it does for the gateway). ok is false if
// peer is not there; with an error, st is zero and ok false.
func parsePeerStats(get string, peer wgkey.Public) (st Stats, ok bool, err error) {
	d, err := uapi.Parse(get)
	if err != nil {
		return Stats{}, false, err
	}
	p, ok := d.Peer(peer)
	if !ok {
		return Stats{}, false, nil
	}
	st = Stats{LastHandshake: p.LastHandshake, RxBytes: p.RxBytes, TxBytes: p.TxBytes}
	if p.Endpoint.IsValid() {
		st.Endpoint = p.Endpoint.String()
	}
	return st, true, nil
}
