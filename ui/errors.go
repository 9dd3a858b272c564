package ui

import (
	"github.com/opensvpn/svpn/api"
)

// The numbers ("E-104") and sentences of every code are api's error
// catalogue (api/catalog.go), shared with svpnctl: the helpdesk hears the
// same number and sentence from both front ends.

// codeTimeout: a call to the SVPN service did not finish in time.
const codeTimeout = api.CodeAppTimeout

// ErrorNumber returns the user-facing number of a code, "E-104".
func ErrorNumber(c api.Code) string { return api.Number(c) }

// KnownCodes lists every code of the catalogue, sorted by number.
func KnownCodes() []api.Code {
	var out []api.Code
	for _, e := range api.Catalog() {
		out = append(out, e.Code)
	}
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
func CodeOfError(err error) api.Code { return api.UserCode(err) }

// Explain turns an error into what the user reads.
func Explain(err error) Problem {
	d := api.Explain(err, api.Lang(CurrentLanguage()))
	p := Problem{Code: d.Code, Number: d.Number, Text: d.Text}
	if r, ok := api.RefusalOf(err); ok {
		p.Refusal = r
	}
	return p
}

// ExplainCode is Explain for a bare code, as the daemon's status and error
// log carry them.
func ExplainCode(c api.Code) Problem {
	d := api.Describe(c, api.Lang(CurrentLanguage()))
	return Problem{Code: d.Code, Number: d.Number, Text: d.Text}
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
