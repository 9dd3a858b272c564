package ui

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/client/gatewayapi"
	"github.com/opensvpn/svpn/client/local"
)

// codeConstants parses the Go files matching pattern and returns the
// values of every constant declared with type Code (in package api) or
// api.Code (elsewhere).
func codeConstants(t *testing.T, pattern string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		t.Fatalf("%s: %v (no files)", pattern, err)
	}
	out := map[string]string{}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range file.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				if !isCodeType(vs.Type) {
					continue
				}
				for i, name := range vs.Names {
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok {
						t.Fatalf("%s: %s is not a string literal", f, name.Name)
					}
					v, _ := strconv.Unquote(lit.Value)
					out[name.Name] = v
				}
			}
		}
	}
	return out
}

func isCodeType(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name == "Code"
	case *ast.SelectorExpr:
		id, ok := x.X.(*ast.Ident)
		return ok && id.Name == "api" && x.Sel.Name == "Code"
	}
	return false
}

// TestEveryCodeHasEntry: every code constant of package api, and the
// codes svpnd's local API client and the gateway API client add, has a
// number in the table and a sentence in both languages. A code added to
// package api without an entry fails here.
func TestEveryCodeHasEntry(t *testing.T) {
	ko, en := loadTable(t, "ko"), loadTable(t, "en")
	all := map[string]string{}
	for _, pat := range []string{"../api/*.go", "../client/local/*.go", "../client/gatewayapi/*.go"} {
		consts := codeConstants(t, pat)
		if len(consts) == 0 {
			t.Fatalf("no code constants in %s", pat)
		}
		for k, v := range consts {
			all[pat+" "+k] = v
		}
	}
	if len(all) < 50 {
		t.Fatalf("found only %d codes", len(all))
	}
	for name, code := range all {
		if _, ok := errorNumbers[api.Code(code)]; !ok {
			t.Errorf("%s (%q) has no error number", name, code)
		}
	}
	for code := range errorNumbers {
		for l, tab := range map[string]map[string]string{"ko": ko, "en": en} {
			if tab["error."+string(code)] == "" {
				t.Errorf("%s: no %s sentence for %q", ErrorNumber(code), l, code)
			}
		}
	}
}

func TestErrorNumbers(t *testing.T) {
	seen := map[int]api.Code{}
	for code, n := range errorNumbers {
		if other, dup := seen[n]; dup {
			t.Errorf("E-%d is both %s and %s", n, code, other)
		}
		seen[n] = code
		if n < 100 || n >= unknownNumber {
			t.Errorf("%s: number %d out of range", code, n)
		}
	}
	if !regexp.MustCompile(`^E-\d{3}$`).MatchString(ErrorNumber(api.CodeAccountLocked)) {
		t.Errorf("format: %s", ErrorNumber(api.CodeAccountLocked))
	}
	if got := ErrorNumber("from_the_future"); got != "E-999" {
		t.Errorf("unknown code: %s", got)
	}
	codes := KnownCodes()
	for i := 1; i < len(codes); i++ {
		if errorNumbers[codes[i-1]] >= errorNumbers[codes[i]] {
			t.Fatalf("KnownCodes not sorted at %d", i)
		}
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
		{&api.Error{Code: local.CodeDaemonUnavailable}, local.CodeDaemonUnavailable, "E-601", "svpnd", ""},
		{&api.Error{Code: gatewayapi.CodeUnreachable}, gatewayapi.CodeUnreachable, "E-401", "인터넷", ""},
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
