package api

// Codes of security tokens (보안토큰): PKCS#11 modules, tokens, PINs and
// the keys on them. Raised in the front end's process (svpn, svpnctl),
// which is the one that loads the module; svpnd never does.
const (
	// CodeTokenModuleNotAllowed: the PKCS#11 module is neither in the
	// system's module registry nor named by the installed profile (or on
	// the command line), so it was not loaded.
	CodeTokenModuleNotAllowed Code = "token_module_not_allowed"
	// CodeTokenModuleHash: the profile pins the module's SHA-256 and the
	// file on disk differs; it was not loaded.
	CodeTokenModuleHash Code = "token_module_hash"
	// CodeTokenModuleFailed: the module could not be loaded or initialised,
	// or crashed while it was (in a child process, so the app lives on).
	CodeTokenModuleFailed Code = "token_module_failed"
	// CodeTokenModuleTimeout: the module did not finish initialising in
	// time (a hung driver).
	CodeTokenModuleTimeout Code = "token_module_timeout"
	// CodeTokenNotFound: no token or no certificate matches (not plugged in).
	CodeTokenNotFound Code = "token_not_found"
	// CodeTokenPINWrong: the token refused the PIN; the flags it reports
	// say how many tries are left.
	CodeTokenPINWrong Code = "token_pin_wrong"
	// CodeTokenPINLocked: the token's user PIN is locked.
	CodeTokenPINLocked Code = "token_pin_locked"
	// CodeTokenKeyMissing: a certificate on the token has no private key
	// with its CKA_ID, so it cannot sign.
	CodeTokenKeyMissing Code = "token_key_missing"
	// CodeTokenRemoved: the token was pulled out during the operation.
	CodeTokenRemoved Code = "token_removed"
	// CodeTokenURIInvalid: a pkcs11: URI (RFC 7512) that does not parse.
	CodeTokenURIInvalid Code = "token_uri_invalid"
	// CodeTokenUnsupported: this build of the program has no PKCS#11
	// support (built without cgo).
	CodeTokenUnsupported Code = "token_unsupported"
	// CodeTokenFailed: any other PKCS#11 failure of the token.
	CodeTokenFailed Code = "token_failed"
	// CodeTokenPINInvalid: the PIN is empty or of a length the token does
	// not accept; it was not sent, so no try was used.
	CodeTokenPINInvalid Code = "token_pin_invalid"
)

// tokenEntries are the security token codes, E-240 to E-252.
var tokenEntries = []Entry{
	{Code: CodeTokenModuleNotAllowed, Number: 240, Kind: KindCertificate,
		Ko: "허용되지 않은 보안토큰 드라이버(PKCS#11 모듈)라서 불러오지 않았습니다. 기관에서 배포한 드라이버를 설치하거나 콜센터에 문의하세요.",
		En: "This security token driver (PKCS#11 module) is not allowed, so it was not loaded. Install the driver your agency distributes, or call the helpdesk."},
	{Code: CodeTokenModuleHash, Number: 241, Kind: KindCertificate,
		Ko: "보안토큰 드라이버 파일이 기관에서 등록한 것과 다릅니다(SHA-256 불일치). 드라이버를 다시 설치하거나 콜센터에 문의하세요.",
		En: "The security token driver file differs from the one your agency registered (SHA-256 mismatch). Reinstall the driver, or call the helpdesk."},
	{Code: CodeTokenModuleFailed, Number: 242, Kind: KindCertificate,
		Ko: "보안토큰 드라이버를 불러오지 못했습니다. 드라이버를 다시 설치하거나 콜센터에 문의하세요.",
		En: "The security token driver could not be loaded. Reinstall the driver, or call the helpdesk."},
	{Code: CodeTokenModuleTimeout, Number: 243, Kind: KindCertificate,
		Ko: "보안토큰 드라이버가 응답하지 않습니다. 보안토큰을 다시 꽂은 뒤 시도하고, 계속되면 콜센터에 문의하세요.",
		En: "The security token driver does not respond. Plug the token in again and retry; if it persists call the helpdesk."},
	{Code: CodeTokenNotFound, Number: 244, Kind: KindCertificate,
		Ko: "보안토큰 또는 그 안의 인증서를 찾을 수 없습니다. 보안토큰을 꽂은 뒤 다시 시도하세요.",
		En: "The security token or its certificate was not found. Plug the token in and try again."},
	{Code: CodeTokenPINWrong, Number: 245, Kind: KindCertificate,
		Ko: "보안토큰 PIN이 올바르지 않습니다. 여러 번 틀리면 보안토큰이 잠깁니다.",
		En: "The security token PIN is wrong. Repeated failures lock the token."},
	{Code: CodeTokenPINLocked, Number: 246, Kind: KindCertificate,
		Ko: "보안토큰 PIN이 잠겼습니다. 콜센터에 문의하여 잠금 해제(PIN 초기화)를 요청하세요.",
		En: "The security token PIN is locked. Call the helpdesk to have it unlocked (PIN reset)."},
	{Code: CodeTokenKeyMissing, Number: 247, Kind: KindCertificate,
		Ko: "보안토큰에 이 인증서의 개인키가 없어 사용할 수 없습니다. 다른 인증서를 선택하거나 콜센터에 문의하세요.",
		En: "The security token has no private key for this certificate, so it cannot be used. Choose another certificate, or call the helpdesk."},
	{Code: CodeTokenRemoved, Number: 248, Kind: KindCertificate,
		Ko: "로그인 중에 보안토큰이 제거되었습니다. 보안토큰을 다시 꽂고 로그인하세요.",
		En: "The security token was removed during the login. Plug it in again and log in."},
	{Code: CodeTokenURIInvalid, Number: 249, Kind: KindCertificate,
		Ko: "보안토큰 인증서 주소(pkcs11: URI)가 올바르지 않습니다. 주소를 확인하세요.",
		En: "The security token certificate address (pkcs11: URI) is not valid. Check it."},
	{Code: CodeTokenUnsupported, Number: 250, Kind: KindCertificate,
		Ko: "이 프로그램은 보안토큰을 지원하지 않도록 만들어졌습니다. 보안토큰을 지원하는 버전을 설치하거나 콜센터에 문의하세요.",
		En: "This build of the program has no security token support. Install a build with it, or call the helpdesk."},
	{Code: CodeTokenFailed, Number: 251, Kind: KindCertificate,
		Ko: "보안토큰 오류가 발생했습니다. 보안토큰을 다시 꽂은 뒤 시도하고, 계속되면 콜센터에 문의하세요.",
		En: "The security token reported an error. Plug it in again and retry; if it persists call the helpdesk."},
	{Code: CodeTokenPINInvalid, Number: 252, Kind: KindCertificate,
		Ko: "보안토큰 PIN의 길이가 올바르지 않습니다. PIN을 확인하여 다시 입력하세요(시도 횟수는 줄지 않았습니다).",
		En: "The security token PIN has a length the token does not accept. Check it and type it again (no try was used)."},
}
