package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/client/gatewayapi"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// failOutput runs c.fail(err) with the environment m.
func failOutput(err error, m map[string]string) (int, string) {
	var errb bytes.Buffer
	c := &cli{stdout: &bytes.Buffer{}, stderr: &errb, getenv: env(m)}
	return c.fail(err), errb.String()
}

// TestFailPrintsTheCatalogue: for every code of the catalogue, in both
// languages, svpnctl's first line is "svpnctl: " + api.Explain's E-number
// and sentence + the code: the same number and sentence the desktop app
// shows (ui TestExplainIsTheCatalogue proves the app's side).
func TestFailPrintsTheCatalogue(t *testing.T) {
	for lang, m := range map[api.Lang]map[string]string{
		api.Korean:  {"LANG": "ko_KR.UTF-8"},
		api.English: {"LANG": "en_US.UTF-8"},
	} {
		for _, e := range api.Catalog() {
			for _, err := range []error{
				&api.Error{Code: e.Code, Message: "english detail"},
				fmt.Errorf("login: %w", &gatewayapi.Error{Status: 403, Response: api.ErrorResponse{Code: e.Code, Message: "english", RemainingAttempts: 2, RetryAfter: 9}}),
			} {
				_, out := failOutput(err, m)
				want := "svpnctl: " + api.Explain(err, lang).String() + " (" + string(e.Code) + ")\n"
				if !strings.HasPrefix(out, want) {
					t.Errorf("%s %v:\n got %q\nwant %q", lang, err, out, want)
				}
				if !strings.Contains(out, err.Error()) {
					t.Errorf("%s %v: the detail is missing: %q", lang, err, out)
				}
			}
		}
	}
	_, out := failOutput(&gatewayapi.Error{Status: 401, Response: api.ErrorResponse{Code: api.CodeBadCredentials, RemainingAttempts: 4}}, map[string]string{"LANG": "ko_KR.UTF-8"})
	if want := "svpnctl: E-101 아이디 또는 비밀번호가 올바르지 않습니다. 다시 입력하세요. 5회 연속 틀리면 계정이 잠깁니다. (남은 시도 횟수: 4회) (bad_credentials)\n"; !strings.HasPrefix(out, want) {
		t.Errorf("bad credentials:\n got %q\nwant %q", out, want)
	}
	_, out = failOutput(&api.Error{Code: "from_the_future"}, nil)
	if !strings.HasPrefix(out, "svpnctl: E-999 Unknown error (from_the_future).") {
		t.Errorf("unknown code: %q", out)
	}
}

func TestFailExitCodes(t *testing.T) {
	for _, tc := range []struct {
		err  error
		exit int
	}{
		{fmt.Errorf("unlock: %w", certstore.ErrWrongPassword), exitPassword},
		{&api.Error{Code: api.CodeBadCredentials}, exitPassword},
		{&gatewayapi.Error{Status: 401, Response: api.ErrorResponse{Code: api.CodeBadCredentials}}, exitPassword},
		{api.Errorf(api.CodeCertNotFound, "gone"), exitNotFound},
		{&api.Error{Code: api.CodeDaemonUnavailable}, exitDaemon},
		{&api.Error{Code: api.CodeAccountLocked}, exitFailure},
		{fmt.Errorf("plain"), exitFailure},
	} {
		if got, out := failOutput(tc.err, nil); got != tc.exit {
			t.Errorf("%v: exit %d, want %d (%s)", tc.err, got, tc.exit, out)
		}
	}
}

func TestLang(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want api.Lang
	}{
		{nil, api.English},
		{map[string]string{"LANG": "ko_KR.UTF-8"}, api.Korean},
		{map[string]string{"LANG": "C.UTF-8"}, api.English},
		{map[string]string{"LC_MESSAGES": "ko_KR.UTF-8", "LANG": "en_US.UTF-8"}, api.Korean},
		{map[string]string{"LC_ALL": "en_GB.UTF-8", "LANG": "ko_KR.UTF-8"}, api.English},
		{map[string]string{"LC_ALL": "ko", "LANG": "en_US.UTF-8"}, api.Korean},
		{map[string]string{"SVPN_LANG": "ko", "LANG": "en_US.UTF-8"}, api.Korean},
		{map[string]string{"SVPN_LANG": "en", "LANG": "ko_KR.UTF-8"}, api.English},
	} {
		c := &cli{getenv: env(tc.env)}
		if got := c.lang(); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.env, got, tc.want)
		}
	}
}
