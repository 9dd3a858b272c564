package api

// Always-on codes: the kill switch, the firewall behind it, and captive
// portals (issue 13).
const (
	// CodeFirewall: the firewall rules of the kill switch, the IPv6 leak
	// block or the MSS clamp could not be set or removed (nftables, PF or
	// WFP refused them).
	CodeFirewall Code = "tunnel_firewall"
	// CodeKillSwitchOwner: the kill switch belongs to another local user's
	// session; only they or an administrator can lift it.
	CodeKillSwitchOwner Code = "kill_switch_owner"
	// CodeCaptiveExemptionRefused: a captive-portal exemption was asked for
	// where the policy allows none (or no kill switch is in force).
	CodeCaptiveExemptionRefused Code = "captive_exemption_refused"
	// CodeCaptivePortal: the gateway is unreachable because the network
	// intercepts web traffic (a hotel or café sign-in page): sign in to
	// the network first.
	CodeCaptivePortal Code = "captive_portal"
)

var alwaysOnEntries = []Entry{
	{Code: CodeCaptivePortal, Number: 420, HTTPStatus: 0, Kind: KindNetwork,
		Ko: "이 네트워크는 로그인 페이지(호텔·카페 Wi-Fi 등)를 거쳐야 인터넷을 쓸 수 있습니다. 브라우저에서 네트워크 로그인을 마친 뒤 다시 접속하세요.",
		En: "This network wants you to sign in on its web page first (hotel or café Wi-Fi). Sign in to the network in a browser, then connect again."},
	{Code: CodeFirewall, Number: 520, HTTPStatus: 0, Kind: KindTunnel,
		Ko: "이 PC의 방화벽 규칙(항상 연결·차단 기능)을 설정하지 못했습니다. 원격근무서비스를 다시 시작하고, 계속되면 콜센터에 진단 정보를 보내세요.",
		En: "The PC's firewall rules (always-on kill switch) could not be set. Restart the SVPN service; if it persists send the diagnostics to the helpdesk."},
	{Code: CodeKillSwitchOwner, Number: 521, HTTPStatus: 0, Kind: KindTunnel,
		Ko: "이 PC의 다른 사용자의 접속 정책으로 인터넷이 차단되어 있습니다. 그 사용자가 접속을 끊거나 관리자가 해제해야 합니다.",
		En: "Another user's session on this PC keeps the internet blocked (kill switch). That user or an administrator must disconnect it."},
	{Code: CodeCaptiveExemptionRefused, Number: 522, HTTPStatus: 0, Kind: KindTunnel,
		Ko: "접속 정책상 네트워크 로그인 페이지를 위한 예외를 열 수 없습니다. 콜센터에 문의하세요.",
		En: "The policy does not allow opening the kill switch for a network sign-in page. Call the helpdesk."},
}
