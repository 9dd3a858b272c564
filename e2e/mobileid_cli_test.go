package e2e

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opensvpn/svpn/internal/proctest"
	"github.com/opensvpn/svpn/mobileid/wallet"
)

var (
	walletOnce sync.Once
	walletBin  string
	walletErr  error
)

// walletBinary builds cmd/svpn-wallet once (TestMain builds the others).
func walletBinary(t testing.TB) string {
	t.Helper()
	walletOnce.Do(func() {
		walletBin = filepath.Join(bin, "svpn-wallet")
		cmd := exec.Command("go", "build", "-o", walletBin, "../cmd/svpn-wallet")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			walletErr = err
			walletBin = string(out)
		}
	})
	if walletErr != nil {
		t.Fatalf("building svpn-wallet: %v\n%s", walletErr, walletBin)
	}
	return walletBin
}

// TestMobileIDCommandLine: `svpnctl login --mobile-id` writes the QR PNG,
// `svpn-wallet approve` reads it (zbarimg) with the demo wallet's PIN on
// stdin and exits 0 once the gateway accepted, svpnctl exits 0 connected,
// and the portal answers through the tunnel.
func TestMobileIDCommandLine(t *testing.T) {
	p := startInProcess(t, filepath.Join(t.TempDir(), "d.sock"))
	wbin := walletBinary(t)
	png := filepath.Join(t.TempDir(), "qr.png")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out proctest.Buffer
	ctl := exec.CommandContext(ctx, filepath.Join(bin, "svpnctl"), "--socket", p.sock, "login", "--mobile-id", "--user", p.d.UserID, "--qr-png", png)
	ctl.Stdout, ctl.Stderr = &out, &out
	ctl.Env = append(os.Environ(), "SVPN_LANG=ko")
	if err := ctl.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- ctl.Wait() }()
	codeRE := regexp.MustCompile(`(?m)^code: (\d{4})$`)
	var code string
	eventually(t, 30*time.Second, "svpnctl shows the QR", func() bool {
		m := codeRE.FindStringSubmatch(out.String())
		if m == nil {
			return false
		}
		code = m[1]
		_, err := os.Stat(png)
		return err == nil
	})
	if !strings.Contains(out.String(), "휴대폰에서 승인하세요") || !strings.Contains(out.String(), "█") {
		t.Fatalf("svpnctl output:\n%s", out.String())
	}

	// The PIN on stdin, as the contract says; the holder compares
	// the code the wallet prints with the PC's.
	w := exec.CommandContext(ctx, wbin, "approve", "--wallet", p.d.WalletPath, "--qr-png", png)
	w.Stdin = strings.NewReader(p.d.WalletPIN + "\n")
	wout, err := w.CombinedOutput()
	if err != nil || !strings.Contains(string(wout), "확인 코드: "+code) && !strings.Contains(string(wout), "Code: "+code) {
		t.Fatalf("svpn-wallet approve: %v\n%s", err, wout)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("svpnctl: %v\n%s", err, out.String())
		}
	case <-ctx.Done():
		t.Fatalf("svpnctl did not finish:\n%s", out.String())
	}
	m := regexp.MustCompile(`(?m)^portal: (\S+)`).FindStringSubmatch(out.String())
	if m == nil || !strings.Contains(out.String(), "connected:") {
		t.Fatalf("svpnctl output:\n%s", out.String())
	}
	resp, err := portalClient().Get(m[1])
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "행정포탈") {
		t.Fatalf("portal: %q", page)
	}

	// The QR is spent: approving it again is refused with its number.
	w = exec.CommandContext(ctx, wbin, "approve", "--wallet", p.d.WalletPath, "--qr-png", png, "--code", code)
	w.Stdin = strings.NewReader(p.d.WalletPIN + "\n")
	w.Env = append(os.Environ(), "SVPN_LANG=en")
	if wout, err := w.CombinedOutput(); err == nil || !strings.Contains(string(wout), "E-133") {
		t.Fatalf("approving a used QR: %v\n%s", err, wout)
	}
}

// TestWalletRefusesAnotherPCsCode: the holder gives the code their own PC
// shows (--code); a QR from another PC (an attacker's, shown to the victim) carries
// another code, so the wallet declines it and the attacker's login ends
// declined instead of logging in as the victim.
func TestWalletRefusesAnotherPCsCode(t *testing.T) {
	p := startInProcess(t, filepath.Join(t.TempDir(), "d.sock"))
	wbin := walletBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out proctest.Buffer
	attacker := exec.CommandContext(ctx, filepath.Join(bin, "svpnctl"), "--socket", p.sock, "login", "--mobile-id")
	attacker.Stdout, attacker.Stderr = &out, &out
	attacker.Env = append(os.Environ(), "SVPN_LANG=en")
	if err := attacker.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- attacker.Wait() }()
	qrRE := regexp.MustCompile(`(?m)^qr: (.+)$`)
	codeRE := regexp.MustCompile(`(?m)^code: (\d{4})$`)
	eventually(t, 30*time.Second, "the attacker's QR", func() bool { return codeRE.MatchString(out.String()) })
	qr, code := qrRE.FindStringSubmatch(out.String())[1], codeRE.FindStringSubmatch(out.String())[1]
	victimCode := "0000"
	if code == victimCode {
		victimCode = "0001"
	}
	w := exec.CommandContext(ctx, wbin, "approve", "--wallet", p.d.WalletPath, "--qr", qr, "--code", victimCode)
	w.Stdin = strings.NewReader(p.d.WalletPIN + "\n")
	w.Env = append(os.Environ(), "SVPN_LANG=en")
	wout, err := w.CombinedOutput()
	if err == nil || !strings.Contains(string(wout), "E-140") {
		t.Fatalf("the wallet approved another PC's QR: %v\n%s", err, wout)
	}
	if err := <-done; err == nil || !strings.Contains(out.String(), "E-131") {
		t.Fatalf("the attacker's login: %v\n%s", err, out.String())
	}
	// The PIN was never asked for, nor counted.
	if wl, err := wallet.Open(p.d.WalletPath); err != nil || wl.Failures != 0 {
		t.Fatalf("wallet: %+v %v", wl, err)
	}
}
