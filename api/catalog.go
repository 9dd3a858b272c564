package api

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// The error catalogue: every code SVPN can report, with the number the user
// reads to the helpdesk ("E-104"), the HTTP status an API answers it with,
// its kind, and what to tell the user in Korean and English. It is the one
// place both front ends (the desktop app and svpnctl) and the gateway take
// these from, so the helpdesk hears the same number and sentence whichever
// front end the user runs.
//
// Numbers never change meaning and are never reused. Their hundreds give
// the kind:
//
//	1xx  account and login
//	2xx  certificates (gateway verdicts 20x and 230, this PC's files 211-221)
//	3xx  this PC's security posture
//	4xx  gateway and network
//	5xx  the tunnel on this PC
//	6xx  the SVPN service (svpnd) and the front ends

// Kind is what an error is about; it is the hundreds of its number.
type Kind int

const (
	KindAccount     Kind = 1 // account and login
	KindCertificate Kind = 2 // the certificate: gateway verdicts and this PC's files
	KindPosture     Kind = 3 // this PC's security posture (antivirus)
	KindNetwork     Kind = 4 // the gateway and the network to it
	KindTunnel      Kind = 5 // the tunnel on this PC
	KindService     Kind = 6 // the SVPN service (svpnd) and the front ends
)

func (k Kind) String() string {
	switch k {
	case KindAccount:
		return "account"
	case KindCertificate:
		return "certificate"
	case KindPosture:
		return "posture"
	case KindNetwork:
		return "network"
	case KindTunnel:
		return "tunnel"
	case KindService:
		return "service"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Entry is one code of the catalogue.
type Entry struct {
	Code   Code
	Number int // the E-number: E-<Number> with three digits
	// HTTPStatus is the status the gateway answers a refusal with this code
	// with; 0 for codes no API refuses with (client-side failures), which
	// the gateway would send as 403.
	HTTPStatus int
	Kind       Kind
	Ko, En     string // what happened and what to do
}

// Text returns the entry's sentence in lang (English for any language but
// Korean).
func (e Entry) Text(lang Lang) string {
	if lang == Korean {
		return e.Ko
	}
	return e.En
}

// UnknownNumber is shown for a code this build does not know (a newer
// daemon or gateway): the helpdesk still sees the raw code beside it.
const UnknownNumber = 999

// Lang is the language of user-facing text.
type Lang string

const (
	Korean  Lang = "ko"
	English Lang = "en"
)

// catalog is every entry. Features with codes of their own keep them in a
// file of their own (<feature>_catalog.go) as a slice added here, so two
// features never edit one list; Catalog sorts by number.
var catalog = slices.Concat(coreEntries, tokenEntries, certMoveEntries, transportEntries, mobileIDEntries, alwaysOnEntries, clusterEntries)

// coreEntries are the codes of the login, the certificate files, posture,
// the network, the tunnel and the service, sorted by number.
var coreEntries = []Entry{
	{Code: CodeBadCredentials, Number: 101, HTTPStatus: 401, Kind: KindAccount,
		Ko: "아이디 또는 비밀번호가 올바르지 않습니다. 다시 입력하세요. 5회 연속 틀리면 계정이 잠깁니다.",
		En: "The ID or password is wrong. Type them again; 5 failures in a row lock the account."},
	{Code: CodeAccountLocked, Number: 102, HTTPStatus: 403, Kind: KindAccount,
		Ko: "비밀번호를 여러 번 잘못 입력하여 계정이 잠겼습니다. 콜센터에 잠금 해제를 요청하세요.",
		En: "The account is locked after repeated wrong passwords. Ask the helpdesk to unlock it."},
	{Code: CodePasswordChangeRequired, Number: 103, HTTPStatus: 403, Kind: KindAccount,
		Ko: "처음 접속하셨습니다. 비밀번호를 변경하여 주시기 바랍니다.",
		En: "This is your first login. Please change your password."},
	{Code: CodePasswordPolicy, Number: 104, HTTPStatus: 422, Kind: KindAccount,
		Ko: "새 비밀번호가 비밀번호 규칙에 맞지 않습니다. 표시된 규칙을 지켜 다시 입력하세요.",
		En: "The new password breaks the password rules. Follow the rules marked and type it again."},
	{Code: CodeRateLimited, Number: 105, HTTPStatus: 429, Kind: KindAccount,
		Ko: "로그인 시도가 너무 많습니다. 잠시 후 다시 시도하세요.",
		En: "Too many login attempts. Try again in a moment."},
	{Code: CodeSessionLimit, Number: 106, HTTPStatus: 409, Kind: KindAccount,
		Ko: "이미 다른 곳에서 접속 중입니다. 다른 PC의 접속을 끊은 뒤 다시 로그인하세요.",
		En: "You are already connected elsewhere. Disconnect the other PC, then log in again."},
	{Code: CodeSessionEnded, Number: 107, HTTPStatus: 401, Kind: KindAccount,
		Ko: "접속이 종료되었습니다. 다시 로그인하세요.",
		En: "The session ended. Log in again."},
	{Code: CodeUnauthorized, Number: 108, HTTPStatus: 401, Kind: KindAccount,
		Ko: "인증이 만료되었습니다. 다시 로그인하세요.",
		En: "The session is no longer valid. Log in again."},
	{Code: CodeLoginExpired, Number: 109, HTTPStatus: 0, Kind: KindAccount,
		Ko: "로그인 시간이 초과되었습니다. 처음부터 다시 로그인하세요.",
		En: "The login took too long. Start again."},
	{Code: CodeChallengeInvalid, Number: 110, HTTPStatus: 401, Kind: KindAccount,
		Ko: "로그인 요청이 만료되었거나 올바르지 않습니다. PC의 날짜와 시각을 확인하고 다시 로그인하세요.",
		En: "The login request expired or is invalid. Check the PC's date and time, then log in again."},
	{Code: CodeChallengeReplayed, Number: 111, HTTPStatus: 401, Kind: KindAccount,
		Ko: "이미 사용된 로그인 요청입니다. 다시 로그인하세요.",
		En: "This login request was already used. Log in again."},
	{Code: CodeAlreadyActive, Number: 112, HTTPStatus: 0, Kind: KindAccount,
		Ko: "이미 접속되어 있습니다. 다시 로그인하려면 먼저 연결을 끊으세요.",
		En: "Already connected. Disconnect first to log in again."},
	{Code: CodeNotConnected, Number: 113, HTTPStatus: 0, Kind: KindAccount,
		Ko: "접속되어 있지 않습니다.",
		En: "Not connected."},
	{Code: CodeForbidden, Number: 114, HTTPStatus: 403, Kind: KindAccount,
		Ko: "이 PC의 다른 사용자가 접속 중입니다. 그 사용자가 연결을 끊은 뒤 다시 시도하세요.",
		En: "Another user of this PC is connected. Try again once they disconnect."},
	{Code: CodeSessionMissing, Number: 115, HTTPStatus: 0, Kind: KindAccount,
		Ko: "접속 정보가 없습니다. 다시 로그인하세요.",
		En: "No session. Log in again."},
	{Code: CodeLoginChannelClosed, Number: 116, HTTPStatus: 0, Kind: KindAccount,
		Ko: "로그인 중에 원격근무 서버와의 연결이 끊어졌습니다. 다시 로그인하세요.",
		En: "The connection to the server closed during the login. Log in again."},
	{Code: CodeCertificateExpired, Number: 201, HTTPStatus: 403, Kind: KindCertificate,
		Ko: "인증서의 유효기간이 지났습니다. 인증서를 갱신한 뒤 다시 로그인하세요.",
		En: "The certificate has expired. Renew it, then log in again."},
	{Code: CodeCertificateNotYetValid, Number: 202, HTTPStatus: 403, Kind: KindCertificate,
		Ko: "아직 사용할 수 없는 인증서입니다. PC의 날짜와 시각이 맞는지 확인하세요.",
		En: "The certificate is not valid yet. Check the PC's date and time."},
	{Code: CodeCertificateUntrusted, Number: 203, HTTPStatus: 403, Kind: KindCertificate,
		Ko: "신뢰할 수 없는 기관이 발급한 인증서입니다. 공인 인증기관(yessign, KICA 등)이 발급한 인증서를 선택하세요.",
		En: "The certificate was issued by an untrusted authority. Choose one from an accredited CA (yessign, KICA …)."},
	{Code: CodeCertificateRevoked, Number: 204, HTTPStatus: 403, Kind: KindCertificate,
		Ko: "폐기된 인증서입니다. 인증서를 재발급받은 뒤 콜센터에 등록을 요청하세요.",
		En: "The certificate was revoked. Get a new one, then ask the helpdesk to register it."},
	{Code: CodeCertificateNotRegistered, Number: 205, HTTPStatus: 403, Kind: KindCertificate,
		Ko: "이 계정에 등록되지 않은 인증서입니다. 등록한 인증서를 선택하거나 콜센터에 인증서 등록을 요청하세요.",
		En: "This certificate is not registered to the account. Choose the registered one, or ask the helpdesk to register it."},
	{Code: CodeCertificateWrongPurpose, Number: 206, HTTPStatus: 403, Kind: KindCertificate,
		Ko: "원격근무에 쓸 수 없는 용도의 인증서입니다. 범용 또는 은행·보험용 개인 인증서를 선택하세요.",
		En: "This certificate's purpose is not accepted. Choose a general-purpose or banking personal certificate."},
	{Code: CodeSignatureInvalid, Number: 207, HTTPStatus: 401, Kind: KindCertificate,
		Ko: "인증서 서명을 확인할 수 없습니다. 인증서를 다시 선택하여 로그인하세요.",
		En: "The certificate's signature did not verify. Choose the certificate again and log in."},
	{Code: CodeCertificateKeyUsage, Number: 208, HTTPStatus: 403, Kind: KindCertificate,
		Ko: "서명용 인증서가 아닙니다(키 용도). 서명용 인증서(signCert)를 선택하거나 콜센터에 문의하세요.",
		En: "This certificate is not for signing (key usage). Choose your signing certificate (signCert), or call the helpdesk."},
	{Code: CodeCertificateIsCA, Number: 209, HTTPStatus: 403, Kind: KindCertificate,
		Ko: "인증기관(CA) 인증서로는 접속할 수 없습니다. 본인의 개인 인증서를 선택하세요.",
		En: "A CA certificate cannot log in. Choose your personal certificate."},
	{Code: CodeCertificateRevocationUnknown, Number: 210, HTTPStatus: 503, Kind: KindCertificate,
		Ko: "원격근무 서버가 이 인증기관 인증서의 폐지 여부를 확인할 수 없습니다(폐지 목록이 오래됨). 잠시 후 다시 시도하고, 계속되면 콜센터에 문의하세요.",
		En: "The server cannot check whether certificates of this CA are revoked (its revocation list is out of date). Try again later; if it persists call the helpdesk."},
	{Code: CodeCertPasswordWrong, Number: 211, HTTPStatus: 0, Kind: KindCertificate,
		Ko: "인증서 암호가 올바르지 않습니다. 대소문자와 Caps Lock을 확인하고 다시 입력하세요.",
		En: "The certificate password is wrong. Check upper/lower case and Caps Lock, and type it again."},
	{Code: CodeCertNotFound, Number: 212, HTTPStatus: 0, Kind: KindCertificate,
		Ko: "인증서 파일을 찾을 수 없습니다. 인증서가 든 USB 드라이브가 연결되어 있는지 확인하세요.",
		En: "The certificate file is gone. Check that the USB drive holding it is plugged in."},
	{Code: CodeCertUnreadable, Number: 213, HTTPStatus: 0, Kind: KindCertificate,
		Ko: "인증서 파일을 읽을 수 없습니다. USB 드라이브를 다시 연결하고 다시 시도하세요.",
		En: "The certificate file cannot be read. Plug the USB drive in again and retry."},
	{Code: CodeCertCorrupt, Number: 214, HTTPStatus: 0, Kind: KindCertificate,
		Ko: "인증서 파일이 손상되었습니다. 인증서를 다시 복사하거나 재발급받으세요.",
		En: "The certificate file is damaged. Copy it again or get it reissued."},
	{Code: CodeCertUnsupported, Number: 215, HTTPStatus: 0, Kind: KindCertificate,
		Ko: "지원하지 않는 형식의 인증서입니다. 다른 인증서를 선택하거나 콜센터에 문의하세요.",
		En: "This certificate format is not supported. Choose another or call the helpdesk."},
	{Code: CodeCertKeyMismatch, Number: 216, HTTPStatus: 0, Kind: KindCertificate,
		Ko: "인증서와 개인키 파일이 서로 맞지 않습니다. 인증서 폴더를 통째로 다시 복사하세요.",
		En: "The certificate and its key file do not match. Copy the whole certificate folder again."},
	{Code: CodeCertParamsRejected, Number: 217, HTTPStatus: 0, Kind: KindCertificate,
		Ko: "인증서 개인키 파일의 형식이 비정상적입니다. 인증서를 다시 복사하거나 재발급받으세요.",
		En: "The key file has abnormal parameters. Copy the certificate again or get it reissued."},
	{Code: CodeCertVIDMismatch, Number: 218, HTTPStatus: 0, Kind: KindCertificate,
		Ko: "본인 확인 정보가 인증서와 일치하지 않습니다. 본인의 인증서인지 확인하세요.",
		En: "The identity check does not match the certificate. Make sure it is your certificate."},
	{Code: CodeCertNoVID, Number: 219, HTTPStatus: 0, Kind: KindCertificate,
		Ko: "인증서에 본인 확인 정보가 없습니다. 다른 인증서를 선택하세요.",
		En: "The certificate lacks identity-check data. Choose another certificate."},
	{Code: CodeCertPasswordNeeded, Number: 220, HTTPStatus: 0, Kind: KindCertificate,
		Ko: "이 인증서 파일은 암호를 입력해야 내용을 볼 수 있습니다. 인증서 암호를 입력하세요.",
		En: "This certificate file shows its contents only with the password. Enter it."},
	{Code: CodeCertSignature, Number: 221, HTTPStatus: 0, Kind: KindCertificate,
		Ko: "인증서 서명을 확인하지 못했습니다. 인증서를 다시 복사하세요.",
		En: "A signature of the certificate did not verify. Copy the certificate again."},
	{Code: CodeCertificateIdentityMismatch, Number: 230, HTTPStatus: 403, Kind: KindCertificate,
		Ko: "이 인증서의 소유자가 계정에 등록된 사용자와 다르므로 첫 접속 시 등록할 수 없습니다. 본인 인증서를 사용하거나 콜센터에 등록을 요청하세요.",
		En: "This certificate's holder is not the person registered for the account, so it cannot be registered at first login. Use your own certificate, or ask the helpdesk to register it."},
	{Code: CodePostureFailed, Number: 301, HTTPStatus: 403, Kind: KindPosture,
		Ko: "백신 프로그램이 설치되어 있지 않거나 꺼져 있습니다. 백신 프로그램을 설치하고 실행한 뒤 다시 로그인하세요.",
		En: "No enabled antivirus was found. Install and start the antivirus, then log in again."},
	{Code: CodeGatewayUnreachable, Number: 401, HTTPStatus: 0, Kind: KindNetwork,
		Ko: "원격근무 서버에 연결할 수 없습니다. 인터넷 연결을 확인하고 잠시 후 다시 시도하세요.",
		En: "The remote work server cannot be reached. Check the internet connection and try again shortly."},
	{Code: CodeGatewayTLS, Number: 402, HTTPStatus: 0, Kind: KindNetwork,
		Ko: "원격근무 서버의 보안 인증서를 확인할 수 없습니다. 공용 와이파이라면 다른 네트워크에서 시도하고, 계속되면 콜센터에 문의하세요.",
		En: "The server's security certificate could not be verified. On public Wi-Fi try another network; if it persists call the helpdesk."},
	{Code: CodeGatewayBadResponse, Number: 403, HTTPStatus: 0, Kind: KindNetwork,
		Ko: "원격근무 서버가 올바르지 않은 응답을 보냈습니다. 잠시 후 다시 시도하고, 계속되면 콜센터에 문의하세요.",
		En: "The server sent an invalid answer. Try again shortly; if it persists call the helpdesk."},
	{Code: CodeGatewayVersion, Number: 404, HTTPStatus: 0, Kind: KindNetwork,
		Ko: "이 프로그램의 버전이 서버와 맞지 않습니다. 원격근무 프로그램을 최신 버전으로 업데이트하세요.",
		En: "This app's version does not match the server. Update the remote work app."},
	{Code: CodeUnavailable, Number: 405, HTTPStatus: 503, Kind: KindNetwork,
		Ko: "원격근무 서버가 일시적으로 서비스할 수 없습니다. 잠시 후 다시 시도하세요.",
		En: "The server is temporarily unavailable. Try again shortly."},
	{Code: CodePoolExhausted, Number: 406, HTTPStatus: 503, Kind: KindNetwork,
		Ko: "접속자가 많아 지금은 연결할 수 없습니다. 잠시 후 다시 시도하세요.",
		En: "Too many users are connected right now. Try again shortly."},
	{Code: CodeProfileInvalid, Number: 407, HTTPStatus: 0, Kind: KindNetwork,
		Ko: "원격근무 설정 파일이 없거나 손상되었습니다. 프로그램을 다시 설치하거나 콜센터에 문의하세요.",
		En: "The remote work profile is missing or damaged. Reinstall the app or call the helpdesk."},
	{Code: CodeAPIVersion, Number: 408, HTTPStatus: 400, Kind: KindNetwork,
		Ko: "이 프로그램은 더 새로운 버전의 원격근무 서버가 필요합니다. 콜센터에 문의하세요.",
		En: "This app needs a newer version of the remote-work server. Call the helpdesk."},
	{Code: CodeTunnelConfig, Number: 501, HTTPStatus: 0, Kind: KindTunnel,
		Ko: "서버가 보낸 터널 설정이 올바르지 않습니다. 콜센터에 문의하세요.",
		En: "The tunnel settings from the server are unusable. Call the helpdesk."},
	{Code: CodeTunnelNoPrivileges, Number: 502, HTTPStatus: 0, Kind: KindTunnel,
		Ko: "터널을 만들 권한이 없습니다. 원격근무 서비스(svpnd)가 실행 중인지 확인하고, 관리자 권한이 없다면 사용자 모드(svpnd --userspace)를 사용하세요.",
		En: "No permission to create the tunnel. Make sure the SVPN service (svpnd) runs; without admin rights use userspace mode (svpnd --userspace)."},
	{Code: CodeTunnelTUNMissing, Number: 503, HTTPStatus: 0, Kind: KindTunnel,
		Ko: "이 PC에 가상 네트워크 드라이버(TUN/Wintun)가 없습니다. 원격근무 프로그램을 다시 설치하세요.",
		En: "This PC lacks the virtual network driver (TUN/Wintun). Reinstall the remote work app."},
	{Code: CodeTunnelAddressConflict, Number: 504, HTTPStatus: 0, Kind: KindTunnel,
		Ko: "원격근무 주소가 이 PC의 다른 네트워크와 겹칩니다. 다른 VPN 프로그램을 종료하고 다시 시도하세요.",
		En: "The tunnel address is already used by another network on this PC. Quit other VPN software and retry."},
	{Code: CodeTunnelRouteConflict, Number: 505, HTTPStatus: 0, Kind: KindTunnel,
		Ko: "집의 네트워크가 사무실 주소 대역과 겹칩니다. 공유기 설정을 바꾸거나 콜센터에 문의하세요.",
		En: "Your home network uses the office's address range. Change the router's settings or call the helpdesk."},
	{Code: CodeTunnelDNSFallback, Number: 506, HTTPStatus: 0, Kind: KindTunnel,
		Ko: "DNS를 기본 방식으로 설정하지 못해 대체 방식으로 설정했습니다. 접속은 정상이며, 내부 사이트가 열리지 않으면 콜센터에 알려 주세요.",
		En: "DNS was set up the fallback way. The connection works; if internal sites do not open, tell the helpdesk."},
	{Code: CodeTunnelDNS, Number: 507, HTTPStatus: 0, Kind: KindTunnel,
		Ko: "DNS를 설정하지 못했습니다. 내부 사이트가 열리지 않으면 콜센터에 문의하세요.",
		En: "DNS could not be set. If internal sites do not open, call the helpdesk."},
	{Code: CodeTunnelDevice, Number: 508, HTTPStatus: 0, Kind: KindTunnel,
		Ko: "터널 장치를 시작하지 못했습니다. 방화벽이 UDP 통신을 막는지 확인하고 PC를 다시 시작해 보세요.",
		En: "The tunnel device failed. Check that no firewall blocks UDP, and restart the PC."},
	{Code: CodeTunnelState, Number: 509, HTTPStatus: 0, Kind: KindTunnel,
		Ko: "원격근무 서비스가 상태 파일을 기록하지 못했습니다. 디스크 공간을 확인하고 PC를 다시 시작하세요.",
		En: "The service could not write its state file. Check the disk space and restart the PC."},
	{Code: CodeTunnelNotRouted, Number: 510, HTTPStatus: 0, Kind: KindTunnel,
		Ko: "이 주소는 원격근무 터널로 연결되지 않습니다. 인터넷으로 직접 접속하세요.",
		En: "This address is not carried by the tunnel. Reach it directly."},
	{Code: CodeTunnelClosed, Number: 511, HTTPStatus: 0, Kind: KindTunnel,
		Ko: "터널이 이미 종료되었습니다. 다시 로그인하세요.",
		En: "The tunnel was already closed. Log in again."},
	{Code: CodeTunnelUnsupported, Number: 512, HTTPStatus: 0, Kind: KindTunnel,
		Ko: "이 운영체제에서는 시스템 터널을 지원하지 않습니다. 사용자 모드(svpnd --userspace)를 사용하세요.",
		En: "System tunnels are not supported on this OS. Use userspace mode (svpnd --userspace)."},
	{Code: CodeTunnelHandshake, Number: 513, HTTPStatus: 0, Kind: KindTunnel,
		Ko: "원격근무 서버와 터널을 연결하지 못했습니다. 방화벽이나 공유기가 UDP를 막는지 확인하고 다시 시도하세요.",
		En: "The tunnel to the server did not come up. Check that no firewall or router blocks UDP, then retry."},
	{Code: CodeTunnelProxy, Number: 514, HTTPStatus: 0, Kind: KindTunnel,
		Ko: "포털 연결에 쓰는 이 PC의 포트를 열지 못했습니다. 다른 프로그램을 종료하거나 PC를 다시 시작하세요.",
		En: "The local port for the portal could not be opened. Quit other programs or restart the PC."},
	{Code: CodeDaemonUnavailable, Number: 601, HTTPStatus: 0, Kind: KindService,
		Ko: "원격근무 서비스(svpnd)가 응답하지 않습니다. 자동으로 다시 연결하는 중이며, 계속되면 PC를 다시 시작하거나 콜센터에 문의하세요.",
		En: "The SVPN service (svpnd) is not answering. Reconnecting automatically; if it persists restart the PC or call the helpdesk."},
	{Code: CodeBadRequest, Number: 602, HTTPStatus: 400, Kind: KindService,
		Ko: "프로그램의 요청이 올바르지 않습니다. 프로그램을 다시 시작하세요.",
		En: "The app sent an invalid request. Restart the app."},
	{Code: CodeInternal, Number: 603, HTTPStatus: 500, Kind: KindService,
		Ko: "프로그램 내부 오류입니다. 진단 정보를 저장하여 콜센터에 보내 주세요.",
		En: "Internal error. Save the diagnostics and send them to the helpdesk."},
	{Code: CodeAppTimeout, Number: 604, HTTPStatus: 0, Kind: KindService,
		Ko: "응답 시간이 초과되었습니다. 인터넷 연결을 확인하고 다시 시도하세요.",
		En: "The request timed out. Check the internet connection and retry."},
}

var byCode = func() map[Code]int {
	m := make(map[Code]int, len(catalog))
	for i, e := range catalog {
		m[e.Code] = i
	}
	return m
}()

// Catalog returns every entry, sorted by number.
func Catalog() []Entry {
	out := append([]Entry(nil), catalog...)
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out
}

// Lookup returns the entry of c.
func Lookup(c Code) (Entry, bool) {
	i, ok := byCode[c]
	if !ok {
		return Entry{}, false
	}
	return catalog[i], true
}

// Number returns the user-facing number of c, "E-104"; "E-999" for a code
// the catalogue does not know.
func Number(c Code) string {
	n := UnknownNumber
	if e, ok := Lookup(c); ok {
		n = e.Number
	}
	return fmt.Sprintf("E-%03d", n)
}

// HTTPStatus returns the HTTP status of a refusal with code c, 0 when the
// catalogue gives none.
func HTTPStatus(c Code) int {
	e, _ := Lookup(c)
	return e.HTTPStatus
}

// Description is an error as the user reads it, in one language.
type Description struct {
	Code   Code
	Number string // E-104
	Text   string // what happened and what to do
}

// String is the form both front ends show: "E-104 sentence".
func (d Description) String() string { return d.Number + " " + d.Text }

// Describe returns what the user reads for c in lang. A code the catalogue
// does not know gets E-999 and a sentence that names the code.
func Describe(c Code, lang Lang) Description {
	d := Description{Code: c, Number: Number(c)}
	if e, ok := Lookup(c); ok {
		d.Text = e.Text(lang)
	} else if lang == Korean {
		d.Text = fmt.Sprintf("알 수 없는 오류입니다 (%s). 진단 정보를 저장하여 콜센터에 보내 주세요.", c)
	} else {
		d.Text = fmt.Sprintf("Unknown error (%s). Save the diagnostics and send them to the helpdesk.", c)
	}
	return d
}

// Explain returns what the user reads for err in lang: the description of
// UserCode(err), plus the attempts left or the wait a gateway refusal in
// err's chain states.
func Explain(err error, lang Lang) Description {
	d := Describe(UserCode(err), lang)
	r, ok := RefusalOf(err)
	if !ok || r.Code != d.Code {
		return d
	}
	var extra []string
	if r.Code == CodeBadCredentials && r.RemainingAttempts > 0 {
		if lang == Korean {
			extra = append(extra, fmt.Sprintf("(남은 시도 횟수: %d회)", r.RemainingAttempts))
		} else {
			extra = append(extra, fmt.Sprintf("(%d attempts left)", r.RemainingAttempts))
		}
	}
	if r.Code == CodeRateLimited && r.RetryAfter > 0 {
		if lang == Korean {
			extra = append(extra, fmt.Sprintf("(%d초 후 다시 시도)", r.RetryAfter))
		} else {
			extra = append(extra, fmt.Sprintf("(retry in %d s)", r.RetryAfter))
		}
	}
	if len(extra) > 0 {
		d.Text += " " + strings.Join(extra, " ")
	}
	return d
}

// UserCode is the code a front end shows for err: CodeOf(err), except that
// a deadline that no coded error explains is CodeAppTimeout.
func UserCode(err error) Code {
	c := CodeOf(err)
	if c == CodeInternal && errors.Is(err, context.DeadlineExceeded) {
		return CodeAppTimeout
	}
	return c
}
