package cliflags

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		ok   bool
		says string
	}{
		{nil, 0, true, ""},
		{[]string{"-v"}, 0, true, ""},
		{[]string{"-h"}, ExitOK, false, "Usage"},
		{[]string{"-nope"}, ExitUsage, false, "not defined"},
		{[]string{"extra"}, ExitUsage, false, `unexpected argument "extra"`},
	} {
		var out strings.Builder
		fs := New("cmd", &out)
		fs.Bool("v", false, "verbose")
		code, ok := Parse(fs, tc.args)
		if code != tc.code || ok != tc.ok || !strings.Contains(out.String(), tc.says) {
			t.Errorf("%q: %d %v %q; want %d %v and %q", tc.args, code, ok, out.String(), tc.code, tc.ok, tc.says)
		}
	}
}
