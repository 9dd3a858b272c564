// Package streambind carries WireGuard over a TLS stream when UDP does not
// get through: a conn.Bind for wireguard-go on each side, the client's
// (Client) and the gateway's (Server).
//
// A stream is a sequence of frames, each one WireGuard message preceded by
// its length (two bytes, big endian). WireGuard stays end to end inside:
// the stream is only another path for the same encrypted datagrams, so the
// gateway's device sees the same peer, with the same keys, whichever way a
// packet came. The stream behaves like UDP as far as it can:
//
//   - no retransmission or acknowledgement of its own: TCP already
//     retransmits, and WireGuard's handshake retries on top;
//   - a bounded send queue that drops packets when the stream falls behind
//     (as a full UDP socket would) instead of buffering seconds of data,
//     which would turn the inner TCP's congestion control against itself;
//   - TCP_NODELAY, so each batch leaves at once;
//   - frames up to 65535 bytes, so every packet the device makes fits
//     whatever the MTU (the outer TCP segments the stream on its own).
//
// While on the stream, a client can ask over UDP whether UDP works again
// (Client.ProbeUDP): the gateway's Server answers a probe datagram with a
// smaller one, so the probe cannot be used to amplify traffic.
package streambind
