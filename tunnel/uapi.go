package tunnel

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/opensvpn/svpn/wgkey"
)

// parsePeerStats finds peer in the output of a UAPI "get" operation
// (https://www.wireguard.com/xplatform/#configuration-protocol): device
// lines, then for each peer a public_key line followed by its own lines.
// Keys it does not know are skipped, so a newer wireguard-go does not break
// it. ok is false if peer is not there.
func parsePeerStats(uapi string, peer wgkey.Public) (st Stats, ok bool, err error) {
	var in bool // inside peer's section
	var sec, nsec int64
	for line := range strings.Lines(uapi) {
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			break // a blank line ends the operation
		}
		key, value, found := strings.Cut(line, "=")
		if !found {
			return Stats{}, false, fmt.Errorf("UAPI: malformed line %q", line)
		}
		if key == "public_key" {
			if in {
				break
			}
			var k wgkey.Public
			if len(value) != hex.EncodedLen(len(k)) {
				return Stats{}, false, fmt.Errorf("UAPI: public key of %d hex digits", len(value))
			}
			if _, err := hex.Decode(k[:], []byte(value)); err != nil {
				return Stats{}, false, fmt.Errorf("UAPI: malformed public key")
			}
			in = k == peer
			ok = ok || in
			continue
		}
		if !in {
			continue // the device's own lines (private_key among them), other peers
		}
		switch key {
		case "endpoint":
			st.Endpoint = value
		case "last_handshake_time_sec":
			sec, err = strconv.ParseInt(value, 10, 64)
		case "last_handshake_time_nsec":
			nsec, err = strconv.ParseInt(value, 10, 64)
		case "rx_bytes":
			st.RxBytes, err = strconv.ParseUint(value, 10, 64)
		case "tx_bytes":
			st.TxBytes, err = strconv.ParseUint(value, 10, 64)
		}
		if err != nil {
			return Stats{}, false, fmt.Errorf("UAPI: %s: %w", key, err)
		}
	}
	if sec != 0 || nsec != 0 {
		st.LastHandshake = time.Unix(sec, nsec)
	}
	return st, ok, nil
}
