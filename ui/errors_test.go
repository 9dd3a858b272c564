package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/client/gatewayapi"
)

// TestKnownCodes: the app knows every code of the catalogue, in its order,
// and certificate problems are the 2xx codes.
func TestKnownCodes(t *testing.T) {
	codes := KnownCodes()
	if len(codes) != len(api.Catalog()) || len(codes) < 60 {
		t.Fatalf("KnownCodes: %d codes, catalogue %d", len(codes), len(api.Catalog()))
	}
	for i, e := range api.Catalog() {
		if codes[i] != e.Code || ErrorNumber(e.Code) != api.Number(e.Code) {
			t.Errorf("%d: %s %s, catalogue %s", i, codes[i], ErrorNumber(codes[i]), e.Code)
		}
		if isCertificateProblem(e.Code) != (e.Number/100 == 2) {
			t.Errorf("%s (E-%03d): isCertificateProblem %v", e.Code, e.Number, isCertificateProblem(e.Code))
		}
	}
	if got := ErrorNumber("from_the_future"); got != "E-999" {
		t.Errorf("unknown code: %s", got)
	}
}

// TestExplainIsTheCatalogue: for every code, in both languages, what the
// app shows is api.Explain's number and sentence, the same svpnctl prints
// (cmd/svpnctl TestFailPrintsTheCatalogue): for a bare *api.Error, for a
// gateway refusal relayed by svpnd, and for a bare code.
func TestExplainIsTheCatalogue(t *testing.T) {
	for _, l := range []Language{Korean, English} {
		withLanguage(t, l, func() {
			for _, e := range api.Catalog() {
				for _, err := range []error{
					&api.Error{Code: e.Code, Message: "english"},
					fmt.Errorf("login: %w", &gatewayapi.Error{Status: 403, Response: api.ErrorResponse{Code: e.Code, RemainingAttempts: 2, RetryAfter: 9}}),
				} {
					want := api.Explain(err, api.Lang(l))
					p := Explain(err)
					if p.Code != e.Code || p.Number != want.Number || p.Text != want.Text || p.String() != want.String() {
						t.Errorf("%s %v: app %q, catalogue %q", l, err, p.String(), want.String())
					}
				}
				if p, want := ExplainCode(e.Code), api.Describe(e.Code, api.Lang(l)); p.String() != want.String() || p.Text != e.Text(api.Lang(l)) {
					t.Errorf("%s ExplainCode(%s): %q, want %q", l, e.Code, p.String(), want.String())
				}
			}
		})
	}
}

func TestExplain(t *testing.T) {
	refusal := func(code api.Code, f func(*api.ErrorResponse)) error {
		e := &gatewayapi.Error{Status: 403, Response: api.ErrorResponse{Code: code, Message: "english"}}
		if f != nil {
			f(&e.Response)
		}
		return fmt.Errorf("login: %w", e)
	}
	for _, tc := range []struct {
		err        error
		code       api.Code
		number     string
		textHas    string
		installURL string
	}{
		{refusal(api.CodeBadCredentials, func(r *api.ErrorResponse) { r.RemainingAttempts = 4 }), api.CodeBadCredentials, "E-101", "남은 시도 횟수: 4회", ""},
		{refusal(api.CodeAccountLocked, nil), api.CodeAccountLocked, "E-102", "콜센터", ""},
		{refusal(api.CodePostureFailed, func(r *api.ErrorResponse) { r.InstallURL = "https://av.example/" }), api.CodePostureFailed, "E-301", "백신", "https://av.example/"},
		{refusal(api.CodeCertificateExpired, nil), api.CodeCertificateExpired, "E-201", "갱신", ""},
		{fmt.Errorf("unlock: %w", certstore.ErrWrongPassword), api.CodeCertPasswordWrong, "E-211", "인증서 암호", ""},
		{api.Errorf(api.CodeCertNotFound, "gone"), api.CodeCertNotFound, "E-212", "USB", ""},
		{&api.Error{Code: api.CodeDaemonUnavailable}, api.CodeDaemonUnavailable, "E-601", "svpnd", ""},
		{&api.Error{Code: api.CodeGatewayUnreachable}, api.CodeGatewayUnreachable, "E-401", "인터넷", ""},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), codeTimeout, "E-604", "시간", ""},
		{errors.New("plain"), api.CodeInternal, "E-603", "진단 정보", ""},
		{refusal("gateway_from_the_future", nil), "gateway_from_the_future", "E-999", "gateway_from_the_future", ""},
	} {
		p := Explain(tc.err)
		if p.Code != tc.code || p.Number != tc.number || !strings.Contains(p.Text, tc.textHas) {
			t.Errorf("%v: got %+v, want %s %s containing %q", tc.err, p, tc.code, tc.number, tc.textHas)
		}
		if tc.installURL != "" && (p.Refusal == nil || p.Refusal.InstallURL != tc.installURL) {
			t.Errorf("%v: install URL lost: %+v", tc.err, p.Refusal)
		}
		if !strings.HasPrefix(p.String(), tc.number+" ") {
			t.Errorf("String: %q", p.String())
		}
	}
	withLanguage(t, English, func() {
		p := Explain(refusal(api.CodeAccountLocked, nil))
		if !strings.Contains(p.Text, "helpdesk") {
			t.Errorf("English: %q", p.Text)
		}
	})
}
