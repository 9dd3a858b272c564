package api

import "net/http"

// The mobile ID refusals the gateway answers with, known to
// TestGatewayStatusesUnchanged.
func init() {
	for c, s := range map[Code]int{
		CodeMobileExpired:            http.StatusGone,
		CodeMobileDeclined:           http.StatusForbidden,
		CodeMobileUnknownTransaction: http.StatusNotFound,
		CodeMobileNonceMismatch:      http.StatusForbidden,
		CodeMobileIssuerUntrusted:    http.StatusForbidden,
		CodeMobileCredentialExpired:  http.StatusForbidden,
		CodeMobileCredentialRevoked:  http.StatusForbidden,
		CodeMobileHolderSignature:    http.StatusForbidden,
		CodeMobileNotRegistered:      http.StatusForbidden,
		CodeMobileCodeMismatch:       http.StatusForbidden,
		CodeMobileDisabled:           http.StatusNotFound,
		CodeMobileInvalid:            http.StatusBadRequest,
	} {
		gatewayStatuses[c] = s
	}
}
