package api

// Codes of failures that happen on the client side, before or without a
// gateway answer. They used to be declared by the packages that raise them
// (client/gatewayapi, client/localapi, ui); the values are unchanged and
// those packages keep aliases of these constants.
const (
	// CodeGatewayUnreachable: DNS, connection refused, timeout.
	CodeGatewayUnreachable Code = "gateway_unreachable"
	// CodeGatewayTLS: the gateway's TLS certificate name, CA or pin does not
	// match.
	CodeGatewayTLS Code = "gateway_tls"
	// CodeGatewayBadResponse: the answer is not the API (garbage, wrong
	// content type, malformed tunnel settings).
	CodeGatewayBadResponse Code = "gateway_bad_response"
	// CodeGatewayVersion: an API version this client does not speak.
	CodeGatewayVersion Code = "gateway_version"
	// CodeSessionMissing: a session call without a session.
	CodeSessionMissing Code = "session_missing"
	// CodeLoginChannelClosed: the connection a login was bound to closed
	// before the login was sent; the login must start again.
	CodeLoginChannelClosed Code = "login_channel_closed"
	// CodeDaemonUnavailable: svpnd is not running or its socket is
	// unreachable.
	CodeDaemonUnavailable Code = "daemon_unavailable"
	// CodeAppTimeout: a call to the SVPN service did not finish in time. The
	// front ends give it a code of their own because the daemon never
	// reports it (see UserCode).
	CodeAppTimeout Code = "app_timeout"
)
