package api

// Codes of the mobile employee ID (모바일 공무원증) login: E-130 to E-149.
const (
	// CodeMobileExpired: the QR's 3 minutes passed before the phone
	// approved (mip 10202).
	CodeMobileExpired Code = "mobileid_expired"
	// CodeMobileDeclined: the holder declined in the phone.
	CodeMobileDeclined Code = "mobileid_declined"
	// CodeMobileCancelled: the login was cancelled on this PC.
	CodeMobileCancelled Code = "mobileid_cancelled"
	// CodeMobileUnknownTransaction: no such transaction, or one already
	// used (mip 10104).
	CodeMobileUnknownTransaction Code = "mobileid_unknown_transaction"
	// CodeMobileNonceMismatch: the presentation answers another request
	// (mip 10111): a replay.
	CodeMobileNonceMismatch Code = "mobileid_nonce_mismatch"
	// CodeMobileIssuerUntrusted: the credential's issuer is not in the
	// gateway's trust list, or its signature does not verify.
	CodeMobileIssuerUntrusted Code = "mobileid_issuer_untrusted"
	// CodeMobileCredentialExpired: the credential is expired or not yet valid.
	CodeMobileCredentialExpired Code = "mobileid_credential_expired"
	// CodeMobileCredentialRevoked: the issuer or an administrator revoked it.
	CodeMobileCredentialRevoked Code = "mobileid_credential_revoked"
	// CodeMobileHolderSignature: the presentation is not signed by the key
	// the credential was issued to.
	CodeMobileHolderSignature Code = "mobileid_holder_signature"
	// CodeMobileNotRegistered: the credential's employee number is no
	// account here, or not the account asked for.
	CodeMobileNotRegistered Code = "mobileid_not_registered"
	// CodeMobileCodeMismatch: the short code the holder confirmed is not
	// this PC's.
	CodeMobileCodeMismatch Code = "mobileid_code_mismatch"
	// CodeMobileDisabled: the gateway does not offer mobile ID login.
	CodeMobileDisabled Code = "mobileid_disabled"
	// CodeMobileInvalid: a malformed message or presentation.
	CodeMobileInvalid Code = "mobileid_invalid"
	// CodeWalletLocked: the (simulated) wallet locked after 5 wrong PINs.
	CodeWalletLocked Code = "wallet_locked"
	// CodeWalletPIN: a wrong wallet PIN.
	CodeWalletPIN Code = "wallet_pin"
)

var mobileIDEntries = []Entry{
	{Code: CodeMobileExpired, Number: 130, HTTPStatus: 410, Kind: KindAccount,
		Ko: "QR 코드의 유효시간(3분)이 지났습니다. 새 QR 코드로 다시 시도하세요.",
		En: "The QR code expired (3 minutes). Try again with a new QR code."},
	{Code: CodeMobileDeclined, Number: 131, HTTPStatus: 403, Kind: KindAccount,
		Ko: "휴대폰에서 로그인 승인을 거부했습니다. 본인이 요청한 로그인이면 다시 시도하세요.",
		En: "The login was declined on the phone. If it was yours, try again."},
	{Code: CodeMobileCancelled, Number: 132, HTTPStatus: 0, Kind: KindAccount,
		Ko: "모바일 공무원증 로그인을 취소했습니다.",
		En: "The mobile ID login was cancelled."},
	{Code: CodeMobileUnknownTransaction, Number: 133, HTTPStatus: 404, Kind: KindAccount,
		Ko: "이미 사용되었거나 알 수 없는 QR 코드입니다. PC에서 새 QR 코드를 받아 다시 시도하세요.",
		En: "This QR code was already used or is unknown. Get a new QR code on the PC and try again."},
	{Code: CodeMobileNonceMismatch, Number: 134, HTTPStatus: 403, Kind: KindAccount,
		Ko: "승인 정보가 이 로그인 요청과 맞지 않습니다. PC에서 새 QR 코드를 받아 다시 시도하세요.",
		En: "The approval does not answer this login request. Get a new QR code on the PC and try again."},
	{Code: CodeMobileIssuerUntrusted, Number: 135, HTTPStatus: 403, Kind: KindAccount,
		Ko: "신뢰할 수 없는 기관이 발급한 모바일 신분증입니다. 모바일 공무원증으로 다시 시도하세요.",
		En: "The mobile ID was issued by an untrusted issuer. Use the mobile employee ID."},
	{Code: CodeMobileCredentialExpired, Number: 136, HTTPStatus: 403, Kind: KindAccount,
		Ko: "모바일 공무원증의 유효기간이 지났습니다. 앱에서 재발급받은 뒤 다시 시도하세요.",
		En: "The mobile employee ID has expired. Have it reissued in the app, then try again."},
	{Code: CodeMobileCredentialRevoked, Number: 137, HTTPStatus: 403, Kind: KindAccount,
		Ko: "폐기된 모바일 공무원증입니다. 소속 기관의 담당자에게 재발급을 요청하세요.",
		En: "The mobile employee ID has been revoked. Ask your agency to reissue it."},
	{Code: CodeMobileHolderSignature, Number: 138, HTTPStatus: 403, Kind: KindAccount,
		Ko: "모바일 공무원증 소유자의 서명을 확인할 수 없습니다. 앱을 다시 설치하거나 재발급받으세요.",
		En: "The holder's signature of the mobile ID does not verify. Reinstall the app or have the ID reissued."},
	{Code: CodeMobileNotRegistered, Number: 139, HTTPStatus: 403, Kind: KindAccount,
		Ko: "이 모바일 공무원증에 해당하는 원격근무 계정이 없습니다. 콜센터에 계정 등록을 요청하세요.",
		En: "No remote-work account matches this mobile employee ID. Ask the helpdesk to register yours."},
	{Code: CodeMobileCodeMismatch, Number: 140, HTTPStatus: 403, Kind: KindAccount,
		Ko: "휴대폰에서 확인한 코드가 이 PC의 코드와 다릅니다. 다른 사람이 보낸 QR 코드일 수 있으니 승인하지 마세요.",
		En: "The code confirmed on the phone is not this PC's. The QR code may come from someone else: do not approve it."},
	{Code: CodeMobileDisabled, Number: 141, HTTPStatus: 404, Kind: KindAccount,
		Ko: "이 원격근무 서버는 모바일 공무원증 로그인을 제공하지 않습니다. 아이디와 인증서로 로그인하세요.",
		En: "This server does not offer mobile ID login. Log in with ID and certificate."},
	{Code: CodeMobileInvalid, Number: 142, HTTPStatus: 400, Kind: KindAccount,
		Ko: "모바일 공무원증의 응답 형식이 올바르지 않습니다. 앱을 최신 버전으로 업데이트한 뒤 다시 시도하세요.",
		En: "The mobile ID's answer is malformed. Update the app and try again."},
	{Code: CodeWalletLocked, Number: 143, HTTPStatus: 0, Kind: KindAccount,
		Ko: "PIN을 5회 잘못 입력하여 모바일 공무원증이 잠겼습니다. 앱에서 본인 확인 후 재발급받으세요.",
		En: "The mobile ID locked after 5 wrong PINs. Verify yourself in the app and have it reissued."},
	{Code: CodeWalletPIN, Number: 144, HTTPStatus: 0, Kind: KindAccount,
		Ko: "PIN이 올바르지 않습니다. 5회 연속 틀리면 모바일 공무원증이 잠깁니다.",
		En: "Wrong PIN. 5 wrong PINs in a row lock the mobile ID."},
}
