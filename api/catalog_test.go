package api

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// codeConst is a constant of type Code found in the module's source.
type codeConst struct {
	pkgDir string // directory relative to the module root
	name   string
	value  string
	file   string
}

// moduleCodeConstants parses every non-test Go file of the module and
// returns the constants declared with type Code (in package api) or
// api.Code (elsewhere), or as a conversion api.Code("…"), whose value is a
// string literal. Aliases (CodeX = api.CodeY) are not returned: they name a
// constant declared here.
func moduleCodeConstants(t *testing.T) []codeConst {
	t.Helper()
	root := ".."
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root: %v", err)
	}
	var out []codeConst
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			n := d.Name()
			if path != root && (strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") || n == "testdata" || n == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		file, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		inAPI := file.Name.Name == "api" && filepath.ToSlash(rel) == "api"
		for _, decl := range file.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i >= len(vs.Values) {
						continue
					}
					val := vs.Values[i]
					typed := isCodeType(vs.Type, inAPI)
					if call, ok := val.(*ast.CallExpr); ok && len(call.Args) == 1 && isCodeType(call.Fun, inAPI) {
						typed, val = true, call.Args[0]
					}
					if !typed {
						continue
					}
					lit, ok := val.(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue // an alias of another constant
					}
					v, _ := strconv.Unquote(lit.Value)
					out = append(out, codeConst{pkgDir: filepath.ToSlash(rel), name: name.Name, value: v, file: path})
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func isCodeType(e ast.Expr, inAPI bool) bool {
	switch x := e.(type) {
	case *ast.Ident:
		return inAPI && x.Name == "Code"
	case *ast.SelectorExpr:
		id, ok := x.X.(*ast.Ident)
		return ok && id.Name == "api" && x.Sel.Name == "Code"
	}
	return false
}

func hasHangul(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Hangul, r) {
			return true
		}
	}
	return false
}

// TestEveryCodeHasEntry: every code constant of the module is declared in
// package api and has a catalogue entry; every entry has a unique number
// whose hundreds are its kind, a Korean sentence in Hangul and an English
// one. A code added anywhere without an entry fails here.
func TestEveryCodeHasEntry(t *testing.T) {
	consts := moduleCodeConstants(t)
	inAPI := map[string]string{} // value → constant name
	for _, c := range consts {
		if c.pkgDir == "api" {
			inAPI[c.value] = c.name
		}
	}
	if len(inAPI) < 60 {
		t.Fatalf("found only %d codes in package api: is the scan right?", len(inAPI))
	}
	for _, c := range consts {
		if c.pkgDir == "api" {
			continue
		}
		if _, ok := inAPI[c.value]; !ok {
			t.Errorf("%s: %s = %q is declared outside package api: declare it in api (catalog.go) and alias it", c.file, c.name, c.value)
		} else {
			t.Logf("%s: %s repeats the value of api.%s; make it an alias", c.file, c.name, inAPI[c.value])
		}
	}
	for v, name := range inAPI {
		if _, ok := Lookup(Code(v)); !ok {
			t.Errorf("api.%s (%q) has no catalogue entry", name, v)
		}
	}
	numbers := map[int]Code{}
	for _, e := range catalog {
		if _, ok := inAPI[string(e.Code)]; !ok {
			t.Errorf("entry %q: no constant of package api has this value", e.Code)
		}
		if other, dup := numbers[e.Number]; dup {
			t.Errorf("E-%03d is both %s and %s", e.Number, e.Code, other)
		}
		numbers[e.Number] = e.Code
		if e.Number < 100 || e.Number >= UnknownNumber {
			t.Errorf("%s: number %d out of range", e.Code, e.Number)
		}
		if int(e.Kind) != e.Number/100 {
			t.Errorf("%s: E-%03d is in the %dxx range but its kind is %s", e.Code, e.Number, e.Number/100, e.Kind)
		}
		if strings.TrimSpace(e.Ko) == "" || strings.TrimSpace(e.En) == "" {
			t.Errorf("%s: empty sentence", e.Code)
		}
		if !hasHangul(e.Ko) {
			t.Errorf("%s: the Korean sentence has no Hangul: %q", e.Code, e.Ko)
		}
		if e.HTTPStatus != 0 && (e.HTTPStatus < 400 || e.HTTPStatus > 599) {
			t.Errorf("%s: HTTP status %d is not an error status", e.Code, e.HTTPStatus)
		}
		if _, dup := byCode[e.Code]; !dup || catalog[byCode[e.Code]].Number != e.Number {
			t.Errorf("%s: listed twice", e.Code)
		}
	}
	if len(byCode) != len(catalog) {
		t.Errorf("%d entries for %d codes: a code is listed twice", len(catalog), len(byCode))
	}
}

// TestRefusalCodesHaveHTTPStatus: the codes the gateway refuses with
// (api/gateway.go, api/certificate_codes.go) have an HTTP status.
func TestRefusalCodesHaveHTTPStatus(t *testing.T) {
	n := 0
	for _, c := range moduleCodeConstants(t) {
		base := filepath.Base(c.file)
		if c.pkgDir != "api" || (base != "gateway.go" && base != "certificate_codes.go") {
			continue
		}
		n++
		if HTTPStatus(Code(c.value)) == 0 {
			t.Errorf("gateway refusal %s (%q) has no HTTP status", c.name, c.value)
		}
	}
	if n < 20 {
		t.Fatalf("found only %d gateway refusal codes", n)
	}
}

// shippedNumbers are the numbers the app has shown since they were
// assigned (ui/errors.go, before the catalogue). A number never changes
// meaning: this list only grows.
var shippedNumbers = map[Code]int{
	CodeBadCredentials:               101,
	CodeAccountLocked:                102,
	CodePasswordChangeRequired:       103,
	CodePasswordPolicy:               104,
	CodeRateLimited:                  105,
	CodeSessionLimit:                 106,
	CodeSessionEnded:                 107,
	CodeUnauthorized:                 108,
	CodeLoginExpired:                 109,
	CodeChallengeInvalid:             110,
	CodeChallengeReplayed:            111,
	CodeAlreadyActive:                112,
	CodeNotConnected:                 113,
	CodeForbidden:                    114,
	CodeSessionMissing:               115,
	CodeLoginChannelClosed:           116,
	CodeCertificateExpired:           201,
	CodeCertificateNotYetValid:       202,
	CodeCertificateUntrusted:         203,
	CodeCertificateRevoked:           204,
	CodeCertificateNotRegistered:     205,
	CodeCertificateWrongPurpose:      206,
	CodeSignatureInvalid:             207,
	CodeCertificateKeyUsage:          208,
	CodeCertificateIsCA:              209,
	CodeCertificateRevocationUnknown: 210,
	CodeCertPasswordWrong:            211,
	CodeCertNotFound:                 212,
	CodeCertUnreadable:               213,
	CodeCertCorrupt:                  214,
	CodeCertUnsupported:              215,
	CodeCertKeyMismatch:              216,
	CodeCertParamsRejected:           217,
	CodeCertVIDMismatch:              218,
	CodeCertNoVID:                    219,
	CodeCertPasswordNeeded:           220,
	CodeCertSignature:                221,
	CodeCertificateIdentityMismatch:  230,
	CodePostureFailed:                301,
	CodeGatewayUnreachable:           401,
	CodeGatewayTLS:                   402,
	CodeGatewayBadResponse:           403,
	CodeGatewayVersion:               404,
	CodeUnavailable:                  405,
	CodePoolExhausted:                406,
	CodeProfileInvalid:               407,
	CodeAPIVersion:                   408,
	CodeTunnelConfig:                 501,
	CodeTunnelNoPrivileges:           502,
	CodeTunnelTUNMissing:             503,
	CodeTunnelAddressConflict:        504,
	CodeTunnelRouteConflict:          505,
	CodeTunnelDNSFallback:            506,
	CodeTunnelDNS:                    507,
	CodeTunnelDevice:                 508,
	CodeTunnelState:                  509,
	CodeTunnelNotRouted:              510,
	CodeTunnelClosed:                 511,
	CodeTunnelUnsupported:            512,
	CodeTunnelHandshake:              513,
	CodeTunnelProxy:                  514,
	CodeDaemonUnavailable:            601,
	CodeBadRequest:                   602,
	CodeInternal:                     603,
	CodeAppTimeout:                   604,
}

func TestNumbersNeverChange(t *testing.T) {
	for c, n := range shippedNumbers {
		e, ok := Lookup(c)
		if !ok || e.Number != n {
			t.Errorf("%s was E-%03d; the catalogue says %+v", c, n, e)
		}
	}
	if got := Number(CodeAccountLocked); got != "E-102" {
		t.Errorf("format: %s", got)
	}
	if got := Number("from_the_future"); got != "E-999" {
		t.Errorf("unknown code: %s", got)
	}
	all := Catalog()
	for i := 1; i < len(all); i++ {
		if all[i-1].Number >= all[i].Number {
			t.Fatalf("Catalog not sorted at %d", i)
		}
	}
}

// codedError is a coded error that is not *Error, as gatewayapi.Error and
// the gateway's refusal are.
type codedError struct{ resp ErrorResponse }

func (e *codedError) Error() string                   { return "refused: " + e.resp.Message }
func (e *codedError) ErrorCode() Code                 { return e.resp.Code }
func (e *codedError) RefusalResponse() *ErrorResponse { return &e.resp }

func TestCodeOf(t *testing.T) {
	refusal := &codedError{ErrorResponse{Code: CodeBadCredentials, RemainingAttempts: 3}}
	for _, tc := range []struct {
		err  error
		code Code
		user Code
	}{
		{nil, "", ""},
		{errors.New("plain"), CodeInternal, CodeInternal},
		{Errorf(CodeCertNotFound, "gone"), CodeCertNotFound, CodeCertNotFound},
		{fmt.Errorf("login: %w", refusal), CodeBadCredentials, CodeBadCredentials},
		{fmt.Errorf("outer: %w", &Error{Code: CodeGatewayTLS, Err: refusal}), CodeGatewayTLS, CodeGatewayTLS},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), CodeInternal, CodeAppTimeout},
		{&Error{Code: CodeGatewayUnreachable, Err: context.DeadlineExceeded}, CodeGatewayUnreachable, CodeGatewayUnreachable},
	} {
		if got := CodeOf(tc.err); got != tc.code {
			t.Errorf("CodeOf(%v) = %q, want %q", tc.err, got, tc.code)
		}
		if got := UserCode(tc.err); got != tc.user {
			t.Errorf("UserCode(%v) = %q, want %q", tc.err, got, tc.user)
		}
	}
	if r, ok := RefusalOf(fmt.Errorf("w: %w", refusal)); !ok || r.RemainingAttempts != 3 {
		t.Errorf("RefusalOf: %v %v", r, ok)
	}
	if _, ok := RefusalOf(Errorf(CodeBadCredentials, "x")); ok {
		t.Errorf("RefusalOf found a refusal in a plain *Error")
	}
}

func TestExplain(t *testing.T) {
	bad := &codedError{ErrorResponse{Code: CodeBadCredentials, RemainingAttempts: 4}}
	limited := &codedError{ErrorResponse{Code: CodeRateLimited, RetryAfter: 30}}
	for _, tc := range []struct {
		err  error
		lang Lang
		want string
	}{
		{bad, Korean, "E-101 아이디 또는 비밀번호가 올바르지 않습니다. 다시 입력하세요. 5회 연속 틀리면 계정이 잠깁니다. (남은 시도 횟수: 4회)"},
		{bad, English, "E-101 The ID or password is wrong. Type them again; 5 failures in a row lock the account. (4 attempts left)"},
		{limited, Korean, "E-105 로그인 시도가 너무 많습니다. 잠시 후 다시 시도하세요. (30초 후 다시 시도)"},
		{limited, English, "E-105 " + catalog[byCode[CodeRateLimited]].En + " (retry in 30 s)"},
		{&codedError{ErrorResponse{Code: "from_the_future"}}, Korean, "E-999 알 수 없는 오류입니다 (from_the_future). 진단 정보를 저장하여 콜센터에 보내 주세요."},
		{&codedError{ErrorResponse{Code: "from_the_future"}}, English, "E-999 Unknown error (from_the_future). Save the diagnostics and send them to the helpdesk."},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), Korean, "E-604 응답 시간이 초과되었습니다. 인터넷 연결을 확인하고 다시 시도하세요."},
	} {
		if got := Explain(tc.err, tc.lang).String(); got != tc.want {
			t.Errorf("%v (%s):\n got %q\nwant %q", tc.err, tc.lang, got, tc.want)
		}
	}
	for _, e := range Catalog() {
		for _, l := range []Lang{Korean, English} {
			d := Describe(e.Code, l)
			if d.Number != fmt.Sprintf("E-%03d", e.Number) || d.Text != e.Text(l) || d.Code != e.Code {
				t.Errorf("Describe(%s, %s) = %+v", e.Code, l, d)
			}
		}
	}
}

// gatewayStatuses is gateway/server.go's httpStatus map as it was before the
// catalogue took its place: clients and monitoring see the same statuses.
var gatewayStatuses = map[Code]int{
	CodeStreamLimit:                  http.StatusServiceUnavailable,
	CodeStreamWrongNode:              http.StatusConflict,
	CodeStreamRateLimited:            http.StatusTooManyRequests,
	CodeBadRequest:                   http.StatusBadRequest,
	CodeBadCredentials:               http.StatusUnauthorized,
	CodeUnauthorized:                 http.StatusUnauthorized,
	CodeChallengeInvalid:             http.StatusUnauthorized,
	CodeChallengeReplayed:            http.StatusUnauthorized,
	CodeSignatureInvalid:             http.StatusUnauthorized,
	CodeSessionEnded:                 http.StatusUnauthorized,
	CodeAccountLocked:                http.StatusForbidden,
	CodePasswordChangeRequired:       http.StatusForbidden,
	CodeCertificateExpired:           http.StatusForbidden,
	CodeCertificateNotYetValid:       http.StatusForbidden,
	CodeCertificateUntrusted:         http.StatusForbidden,
	CodeCertificateRevoked:           http.StatusForbidden,
	CodeCertificateNotRegistered:     http.StatusForbidden,
	CodeCertificateWrongPurpose:      http.StatusForbidden,
	CodeCertificateKeyUsage:          http.StatusForbidden,
	CodeCertificateIsCA:              http.StatusForbidden,
	CodeCertificateIdentityMismatch:  http.StatusForbidden,
	CodeCertificateRevocationUnknown: http.StatusServiceUnavailable,
	CodeForbidden:                    http.StatusForbidden,
	CodePostureFailed:                http.StatusForbidden,
	CodePasswordPolicy:               http.StatusUnprocessableEntity,
	CodeSessionLimit:                 http.StatusConflict,
	CodeRateLimited:                  http.StatusTooManyRequests,
	CodeAPIVersion:                   http.StatusBadRequest,
	CodePoolExhausted:                http.StatusServiceUnavailable,
	CodeUnavailable:                  http.StatusServiceUnavailable,
	CodeInternal:                     http.StatusInternalServerError,
	// certmove_catalog.go
	CodeCertMoveDisabled:      http.StatusForbidden,
	CodeCertMoveDeviceLimit:   http.StatusForbidden,
	CodeCertMoveMismatch:      http.StatusForbidden,
	CodeCertMoveNotFound:      http.StatusNotFound,
	CodeCertMoveExpired:       http.StatusGone,
	CodeCertMoveTaken:         http.StatusConflict,
	CodeCertMoveNotRegistered: http.StatusForbidden,
	CodeCertMoveProtocol:      http.StatusBadRequest,
	CodeNodeDraining:          http.StatusServiceUnavailable,
}

func TestGatewayStatusesUnchanged(t *testing.T) {
	for c, want := range gatewayStatuses {
		if got := HTTPStatus(c); got != want {
			t.Errorf("%s: HTTP %d, was %d", c, got, want)
		}
	}
	for _, e := range catalog {
		if _, ok := gatewayStatuses[e.Code]; !ok && e.HTTPStatus != 0 {
			t.Errorf("%s: HTTP %d, new: add it to gatewayStatuses if intended", e.Code, e.HTTPStatus)
		}
	}
	if HTTPStatus("from_the_future") != 0 || HTTPStatus(CodeGatewayTLS) != 0 {
		t.Error("codes without a status must answer 0 (the gateway sends 403)")
	}
	if http.StatusText(HTTPStatus(CodeAccountLocked)) != "Forbidden" {
		t.Error("account_locked is 403")
	}
}
