package diag

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/opensvpn/svpn/api"
)

func TestRedact(t *testing.T) {
	r := NewRedactor("tok-SECRET-123", "wgPRIVATEkey+base64=")
	for _, tc := range []struct{ in, leak string }{
		{"session tok-SECRET-123 used", "tok-SECRET-123"},
		{`{"password": "hunter2!", "user": "a"}`, "hunter2!"},
		{`new_password=Abc-12345! next`, "Abc-12345!"},
		{"Authorization: Bearer abc.def.ghi", "abc.def.ghi"},
		{"private_key=wgPRIVATEkey+base64=", "wgPRIVATEkey"},
		{`"session_token":"zzz-token"`, "zzz-token"},
	} {
		out := r.Redact(tc.in)
		if strings.Contains(out, tc.leak) || !strings.Contains(out, "[REDACTED]") {
			t.Errorf("Redact(%q) = %q", tc.in, out)
		}
	}
	if got := r.Redact("state connected, address 10.77.0.2/32"); got != "state connected, address 10.77.0.2/32" {
		t.Errorf("ordinary text changed: %q", got)
	}
}

// TestBundleHasNoSecrets writes a bundle whose log and diagnostics were
// seeded with secrets and checks none survives.
func TestBundleHasNoSecrets(t *testing.T) {
	ring := NewRing(nil, 100)
	log := slog.New(ring)
	log.Info("login", "password", "hunter2!", "user", "test05")
	log.Info("token issued", "session_token", "tok-SECRET-123")
	d := api.Diagnostics{Status: api.Status{State: api.StateConnected, LastError: "Authorization: Bearer tok-SECRET-123"}}
	var buf bytes.Buffer
	if err := WriteBundle(context.Background(), &buf, d, ring.Lines(), []Command{{"echo.txt", []string{"echo", "password=hunter2!"}}}, NewRedactor("tok-SECRET-123")); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		for _, s := range []string{"hunter2!", "tok-SECRET-123"} {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s leaks %q:\n%s", f.Name, s, b)
			}
		}
	}
	if strings.Join(names, ",") != "diagnostics.json,svpnd.log,system/echo.txt" {
		t.Errorf("bundle files %v", names)
	}
}
