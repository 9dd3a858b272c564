package ui

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/gatewayapi"
	"github.com/opensvpn/svpn/client/local"
)

// errorNumbers gives every code the app can meet a stable number the user
// reads to the helpdesk ("E-104"). Numbers never change meaning and are
// never reused; the sentence for each is error.<code> in the translations.
//
//	1xx  account and login
//	2xx  certificates (gateway verdicts 20x, this PC's files 21x-22x)
//	3xx  this PC's security posture
//	4xx  gateway and network
//	5xx  the tunnel on this PC
//	6xx  the SVPN service (svpnd) and this app
var errorNumbers = map[api.Code]int{
	api.CodeBadCredentials:         101,
	api.CodeAccountLocked:          102,
	api.CodePasswordChangeRequired: 103,
	api.CodePasswordPolicy:         104,
	api.CodeRateLimited:            105,
	api.CodeSessionLimit:           106,
	api.CodeSessionEnded:           107,
	api.CodeUnauthorized:           108,
	api.CodeLoginExpired:           109,
	api.CodeChallengeInvalid:       110,
	api.CodeChallengeReplayed:      111,
	api.CodeAlreadyActive:          112,
	api.CodeNotConnected:           113,
	api.CodeForbidden:              114,
	gatewayapi.CodeSessionMissing:  115,
	gatewayapi.CodeLoginChannel:    116,

	api.CodeCertificateExpired:           201,
	api.CodeCertificateNotYetValid:       202,
	api.CodeCertificateUntrusted:         203,
	api.CodeCertificateRevoked:           204,
	api.CodeCertificateNotRegistered:     205,
	api.CodeCertificateWrongPurpose:      206,
	api.CodeSignatureInvalid:             207,
	api.CodeCertificateKeyUsage:          208,
	api.CodeCertificateIsCA:              209,
	api.CodeCertificateRevocationUnknown: 210,
	api.CodeCertificateIdentityMismatch:  230,
	api.CodeCertPasswordWrong:            211,
	api.CodeCertNotFound:                 212,
	api.CodeCertUnreadable:               213,
	api.CodeCertCorrupt:                  214,
	api.CodeCertUnsupported:              215,
	api.CodeCertKeyMismatch:              216,
	api.CodeCertParamsRejected:           217,
	api.CodeCertVIDMismatch:              218,
	api.CodeCertNoVID:                    219,
	api.CodeCertPasswordNeeded:           220,
	api.CodeCertSignature:                221,

	api.CodePostureFailed: 301,

	gatewayapi.CodeUnreachable: 401,
	gatewayapi.CodeTLS:         402,
	gatewayapi.CodeBadResponse: 403,
	gatewayapi.CodeVersion:     404,
	api.CodeUnavailable:        405,
	api.CodePoolExhausted:      406,
	api.CodeProfileInvalid:     407,

	api.CodeTunnelConfig:          501,
	api.CodeTunnelNoPrivileges:    502,
	api.CodeTunnelTUNMissing:      503,
	api.CodeTunnelAddressConflict: 504,
	api.CodeTunnelRouteConflict:   505,
	api.CodeTunnelDNSFallback:     506,
	api.CodeTunnelDNS:             507,
	api.CodeTunnelDevice:          508,
	api.CodeTunnelState:           509,
	api.CodeTunnelNotRouted:       510,
	api.CodeTunnelClosed:          511,
	api.CodeTunnelUnsupported:     512,
	api.CodeTunnelHandshake:       513,
	api.CodeTunnelProxy:           514,

	local.CodeDaemonUnavailable: 601,
	api.CodeBadRequest:          602,
	api.CodeInternal:            603,
	codeTimeout:                 604,
}

// codeTimeout: a call to the SVPN service did not finish in time. The app
// gives it a code of its own because the daemon never reports it.
const codeTimeout api.Code = "app_timeout"

// unknownNumber is shown for a code this build does not know (a newer
// daemon or gateway): the helpdesk still sees the raw code beside it.
const unknownNumber = 999

// ErrorNumber returns the user-facing number of a code, "E-104".
func ErrorNumber(c api.Code) string {
	n, ok := errorNumbers[c]
	if !ok {
		n = unknownNumber
	}
	return fmt.Sprintf("E-%03d", n)
}

// KnownCodes lists every code of the table, sorted by number.
func KnownCodes() []api.Code {
	out := make([]api.Code, 0, len(errorNumbers))
	for c := range errorNumbers {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return errorNumbers[out[i]] < errorNumbers[out[j]] })
	return out
}

// Problem is an error as the user sees it.
type Problem struct {
	Code   api.Code
	Number string // E-104
	Text   string // what happened and what to do, in the UI language
	// Refusal is the gateway's refusal when there is one: violations,
	// remaining attempts, the antivirus install URL.
	Refusal *api.ErrorResponse
}

// String is the one-line form: "E-104 텍스트".
func (p Problem) String() string {
	if p.Number == "" {
		return p.Text
	}
	return p.Number + " " + p.Text
}

// CodeOfError returns the code of any error the app meets: a gateway
// refusal relayed by svpnd, a typed error of svpnd's client or certstore,
// a deadline.
func CodeOfError(err error) api.Code {
	if err == nil {
		return ""
	}
	if errors.Is(err, context.DeadlineExceeded) && api.CodeOf(err) == api.CodeInternal {
		return codeTimeout
	}
	return gatewayapi.Code(err)
}

// Explain turns an error into what the user reads.
func Explain(err error) Problem {
	p := ExplainCode(CodeOfError(err))
	if r, ok := gatewayapi.Refusal(err); ok {
		p.Refusal = r
		if r.Code == api.CodeBadCredentials && r.RemainingAttempts > 0 {
			p.Text += " " + Tf("error.remaining_attempts", map[string]any{"N": r.RemainingAttempts})
		}
		if r.Code == api.CodeRateLimited && r.RetryAfter > 0 {
			p.Text += " " + Tf("error.retry_after", map[string]any{"N": r.RetryAfter})
		}
	}
	return p
}

// ExplainCode is Explain for a bare code, as the daemon's status and error
// log carry them.
func ExplainCode(c api.Code) Problem {
	p := Problem{Code: c, Number: ErrorNumber(c)}
	if _, ok := errorNumbers[c]; ok {
		p.Text = T("error." + string(c))
	} else {
		p.Text = Tf("error.unknown", map[string]any{"Code": string(c)})
	}
	return p
}

// EndReasonText says why a session ended (api.Status.EndReason).
func EndReasonText(reason string) string {
	switch reason {
	case "logout", "kicked", "expired", "replaced", "revoked":
		return T("reason." + reason)
	case "":
		return T("reason.unknown")
	}
	return Tf("reason.other", map[string]any{"Reason": reason})
}
