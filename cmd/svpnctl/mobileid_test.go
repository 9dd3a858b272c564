package main

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skip2/go-qrcode"
)

// TestQRPNGReadable: the longest QR text a gateway may send (300
// characters) written as svpnctl writes it is read back whole by zbarimg,
// which stands in for the phone's camera.
func TestQRPNGReadable(t *testing.T) {
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		t.Fatal("zbarimg is not installed (make deps installs zbar-tools)")
	}
	prefix := `{"type":"mip","version":"1.0.0","cmd":"200","trxcode":"` + strings.Repeat("Ab-_", 5) + `x9","mode":"direct","host":"https://`
	suffix := `.go.kr:8443"}`
	text := prefix + strings.Repeat("v", 300-len(prefix)-len(suffix)) + suffix
	if len(text) != 300 {
		t.Fatalf("test text is %d characters", len(text))
	}
	qr, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	png := filepath.Join(t.TempDir(), "qr.png")
	if err := qr.WriteFile(qrPNGSize, png); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, zbar, "--raw", "--quiet", "-Sdisable", "-Sqrcode.enable", png).Output()
	if err != nil {
		t.Fatalf("zbarimg: %v", err)
	}
	if got := strings.TrimRight(string(out), "\n"); got != text {
		t.Fatalf("zbarimg read %q", got)
	}
	// The terminal rendering has the same modules.
	if lines := strings.Count(qr.ToSmallString(false), "\n"); lines < 20 {
		t.Fatalf("terminal QR of %d lines", lines)
	}
}

func TestMobileUsage(t *testing.T) {
	for _, args := range [][]string{
		{"login", "--mobile-id", "--cert", "x"},
		{"login", "--mobile-id", "--password-stdin"},
		{"login", "--user", "kim01", "--cert", "x", "--qr-png", "q.png"},
	} {
		var out bytes.Buffer
		c := &cli{stdin: strings.NewReader(""), stdout: &out, stderr: &out, socket: filepath.Join(t.TempDir(), "none.sock"), getenv: env(nil)}
		if code := c.run(args); code != exitUsage {
			t.Errorf("%q: exit %d\n%s", args, code, out.String())
		}
	}
	// Without svpnd: the numbered "service not running", exit 5.
	var out bytes.Buffer
	c := &cli{stdin: strings.NewReader(""), stdout: &out, stderr: &out, socket: filepath.Join(t.TempDir(), "none.sock"), getenv: env(nil)}
	if code := c.run([]string{"login", "--mobile-id"}); code != exitDaemon || !strings.Contains(out.String(), "E-601") {
		t.Errorf("no svpnd: exit %d\n%s", code, out.String())
	}
}
