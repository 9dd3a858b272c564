package api

// Codes of the TCP transport (the WireGuard stream over HTTPS).
const (
	// CodeTunnelUDPBlocked is a notice, not an error: no WireGuard
	// handshake completed over UDP, so the tunnel runs over TCP (the
	// gateway's HTTPS port). It works, more slowly.
	CodeTunnelUDPBlocked Code = "tunnel_udp_blocked"
	// CodeTunnelStream: the TCP stream to the gateway could not be opened,
	// or closed; the client redials it.
	CodeTunnelStream Code = "tunnel_stream"
	// CodeStreamLimit: the gateway holds as many streams as it allows.
	CodeStreamLimit Code = "stream_limit"
	// CodeStreamWrongNode: the session's tunnel lives on another node of
	// the gateway cluster than the one the stream reached.
	CodeStreamWrongNode Code = "stream_wrong_node"
	// CodeStreamRateLimited: too many refused stream requests from this
	// address; the gateway answers without looking at the token for a while.
	CodeStreamRateLimited Code = "stream_rate_limited"
)

var transportEntries = []Entry{
	{Code: CodeStreamLimit, Number: 430, HTTPStatus: 503, Kind: KindNetwork,
		Ko: "원격근무 서버의 TCP 연결 수가 한도에 이르렀습니다. 잠시 후 다시 시도하고, 계속되면 콜센터에 문의하세요.",
		En: "The server has reached its limit of TCP tunnel connections. Try again shortly; if it persists call the helpdesk."},
	{Code: CodeStreamWrongNode, Number: 431, HTTPStatus: 409, Kind: KindNetwork,
		Ko: "접속이 다른 원격근무 서버에 연결되어 있습니다. 다시 로그인하세요.",
		En: "The session is held by another server of the cluster. Log in again."},
	{Code: CodeStreamRateLimited, Number: 432, HTTPStatus: 429, Kind: KindNetwork,
		Ko: "이 주소에서 거부된 연결 요청이 너무 많습니다. 잠시 후 다시 시도하세요.",
		En: "Too many refused connection requests from this address. Try again in a moment."},
	{Code: CodeTunnelUDPBlocked, Number: 540, HTTPStatus: 0, Kind: KindTunnel,
		Ko: "이 네트워크에서는 UDP가 차단되어 HTTPS(TCP)로 연결했습니다. 접속은 유지되지만 속도가 느릴 수 있습니다.",
		En: "UDP is blocked on this network, so the tunnel runs over HTTPS (TCP). It works, possibly more slowly."},
	{Code: CodeTunnelStream, Number: 541, HTTPStatus: 0, Kind: KindTunnel,
		Ko: "원격근무 서버와의 TCP 연결이 끊어져 다시 연결하고 있습니다. 계속되면 네트워크를 확인하고 콜센터에 문의하세요.",
		En: "The TCP connection to the server closed; reconnecting. If it persists check the network and call the helpdesk."},
}
