package api

// Codes of 인증서 이동 (certificate move, package certmove).
const (
	// CodeCertMoveDisabled: the group's policy does not allow moves.
	CodeCertMoveDisabled Code = "certmove_disabled"
	// CodeCertMoveDeviceLimit: the certificate is already on as many PCs
	// as the policy allows.
	CodeCertMoveDeviceLimit Code = "certmove_device_limit"
	// CodeCertMoveCodeInvalid: the code typed is not 12 digits with a
	// correct check digit (a typo, caught before an attempt is spent).
	CodeCertMoveCodeInvalid Code = "certmove_code_invalid"
	// CodeCertMoveMismatch: key confirmation failed — the codes differ
	// (or someone in between changed the messages). The slot is burnt.
	CodeCertMoveMismatch Code = "certmove_mismatch"
	// CodeCertMoveNotFound: no move waits under this user ID and code.
	CodeCertMoveNotFound Code = "certmove_not_found"
	// CodeCertMoveExpired: the slot's five minutes are over.
	CodeCertMoveExpired Code = "certmove_expired"
	// CodeCertMoveTaken: another PC already joined this slot.
	CodeCertMoveTaken Code = "certmove_taken"
	// CodeCertMoveNotRegistered: the certificate is not the one registered
	// for the account.
	CodeCertMoveNotRegistered Code = "certmove_not_registered"
	// CodeCertMoveProtocol: a message out of order, malformed, or of
	// another protocol version.
	CodeCertMoveProtocol Code = "certmove_protocol"
	// CodeCertMoveSave: the received certificate could not be saved.
	CodeCertMoveSave Code = "certmove_save"
	// CodeCertMoveUnsupported: only NPKI and GPKI certificates move (a
	// PKCS#12 file is already one file the user can copy).
	CodeCertMoveUnsupported Code = "certmove_unsupported"
)

var certMoveEntries = []Entry{
	{Code: CodeCertMoveDisabled, Number: 260, HTTPStatus: 403, Kind: KindCertificate,
		Ko: "소속 기관의 정책상 인증서 이동을 사용할 수 없습니다. 콜센터에 문의하세요.",
		En: "Your organisation's policy does not allow moving certificates. Call the helpdesk."},
	{Code: CodeCertMoveDeviceLimit, Number: 261, HTTPStatus: 403, Kind: KindCertificate,
		Ko: "이 인증서는 허용된 PC 수만큼 이미 이동되었습니다. 사용하지 않는 PC에서 인증서를 삭제했다면 콜센터에 문의하세요.",
		En: "This certificate is already on as many PCs as allowed. If you removed it from a PC you no longer use, call the helpdesk."},
	{Code: CodeCertMoveCodeInvalid, Number: 262, HTTPStatus: 0, Kind: KindCertificate,
		Ko: "인증번호 형식이 올바르지 않습니다. 보내는 PC에 표시된 12자리 숫자를 다시 확인하세요.",
		En: "The code is not valid. Check the 12 digits shown on the sending PC."},
	{Code: CodeCertMoveMismatch, Number: 263, HTTPStatus: 403, Kind: KindCertificate,
		Ko: "인증번호가 일치하지 않습니다. 보내는 PC에서 인증서 보내기를 다시 시작하세요.",
		En: "The codes do not match. Start sending the certificate again on the sending PC."},
	{Code: CodeCertMoveNotFound, Number: 264, HTTPStatus: 404, Kind: KindCertificate,
		Ko: "이 아이디와 인증번호로 기다리는 인증서 이동이 없습니다. 아이디와 인증번호를 확인하세요.",
		En: "No certificate move waits for this user ID and code. Check both."},
	{Code: CodeCertMoveExpired, Number: 265, HTTPStatus: 410, Kind: KindCertificate,
		Ko: "인증번호의 유효 시간(5분)이 지났습니다. 보내는 PC에서 다시 시작하세요.",
		En: "The code has expired (5 minutes). Start again on the sending PC."},
	{Code: CodeCertMoveTaken, Number: 266, HTTPStatus: 409, Kind: KindCertificate,
		Ko: "이 인증번호는 이미 다른 PC에서 사용되었습니다. 보내는 PC에서 다시 시작하세요.",
		En: "This code was already used by another PC. Start again on the sending PC."},
	{Code: CodeCertMoveNotRegistered, Number: 267, HTTPStatus: 403, Kind: KindCertificate,
		Ko: "이 계정에 등록된 인증서만 이동할 수 있습니다. 로그인에 쓰는 인증서를 선택하세요.",
		En: "Only the certificate registered for this account can be moved. Pick the one you log in with."},
	{Code: CodeCertMoveProtocol, Number: 268, HTTPStatus: 400, Kind: KindCertificate,
		Ko: "인증서 이동 중 잘못된 메시지를 받았습니다. 두 PC의 프로그램을 최신 버전으로 업데이트하고 다시 시도하세요.",
		En: "An invalid message arrived during the move. Update the app on both PCs and retry."},
	{Code: CodeCertMoveSave, Number: 269, HTTPStatus: 0, Kind: KindCertificate,
		Ko: "받은 인증서를 저장하지 못했습니다. 저장 위치(이동식 디스크 연결, 디스크 공간)를 확인하고 다시 시도하세요.",
		En: "The received certificate could not be saved. Check where it goes (drive plugged in, free space) and retry."},
	{Code: CodeCertMoveUnsupported, Number: 270, HTTPStatus: 0, Kind: KindCertificate,
		Ko: "NPKI 또는 GPKI 인증서만 이동할 수 있습니다. PKCS#12(.pfx) 파일은 파일을 직접 복사하세요.",
		En: "Only NPKI or GPKI certificates can be moved. Copy a PKCS#12 (.pfx) file directly."},
}
