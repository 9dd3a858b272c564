package e2e

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/daemon"
	"github.com/opensvpn/svpn/internal/proctest"
)

// secondPC starts another svpnd (userspace) with the same installed
// profile on sock: a second PC of the same organisation.
func secondPC(t *testing.T, profile, sock string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan struct{}), make(chan error, 1)
	go func() {
		done <- daemon.Run(ctx, daemon.Options{Userspace: true, Socket: sock, Profile: profile, ProxyAddr: "127.0.0.1:0",
			Version: "test", LogOutput: io.Discard, Ready: func() { close(ready) }})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("second svpnd: %v", err)
		}
	})
	select {
	case <-ready:
	case err := <-done:
		t.Fatal(err)
	case <-time.After(20 * time.Second):
		t.Fatal("second svpnd did not start")
	}
}

// sender is `svpnctl certs send` running in the background.
type sender struct {
	cmd  *exec.Cmd
	out  proctest.Buffer
	done chan int
}

func startSender(t *testing.T, sock string, args ...string) *sender {
	t.Helper()
	s := &sender{done: make(chan int, 1)}
	argv := append([]string{"--socket", sock, "certs", "send"}, args...)
	s.cmd = exec.Command(filepath.Join(bin, "svpnctl"), argv...)
	s.cmd.Env = append(os.Environ(), "SVPN_LANG=ko")
	s.cmd.Stdout, s.cmd.Stderr = &s.out, &s.out
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := s.cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			s.done <- ee.ExitCode()
			return
		}
		s.done <- 0
	}()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		if t.Failed() {
			t.Logf("svpnctl certs send said:\n%s", s.out.String())
		}
	})
	return s
}

var codeRE = regexp.MustCompile(`\d{4}-\d{4}-\d{4}`)

// code waits for the code the sender prints.
func (s *sender) code(t *testing.T) string {
	t.Helper()
	var code string
	proctest.Eventually(t, 20*time.Second, "the sender's code", func() bool {
		code = codeRE.FindString(s.out.String())
		return code != ""
	})
	if !strings.Contains(s.out.String(), "받는 PC에서 코드를 입력하세요") {
		t.Errorf("the sender does not tell to type the code on the other PC:\n%s", s.out.String())
	}
	return code
}

func (s *sender) wait(t *testing.T) int {
	t.Helper()
	select {
	case c := <-s.done:
		return c
	case <-time.After(60 * time.Second):
		t.Fatal("the sender did not finish")
		return -1
	}
}

// TestCertMoveTwoPCs: a logged-in PC sends the demo certificate with
// `svpnctl certs send`; a fresh PC (its own svpnd, no session, no
// certificate) receives it with `svpnctl certs receive` onto a removable
// drive and logs in with it; --delete-after removed PC A's copy. Then a wrong code: both sides fail with
// E-263, the slot is burnt and a second join is refused.
func TestCertMoveTwoPCs(t *testing.T) {
	p := startInProcess(t, filepath.Join(t.TempDir(), "a.sock"))
	d := p.d
	sockB := filepath.Join(t.TempDir(), "b.sock")
	secondPC(t, d.Profile, sockB)
	newPW := "Moving-pass9!"

	// PC A logs in (the first login changes the initial password).
	code, out := runCmd(t, nil, d.InitialPassword+"\n"+d.CertPassword+"\n"+newPW+"\n", "svpnctl", "--socket", p.sock,
		"login", "--user", d.UserID, "--cert", d.CertPath, "--password-stdin")
	if code != 0 {
		t.Fatalf("login on PC A: exit %d\n%s", code, out)
	}

	// PC B, without a session, cannot send.
	if code, out := runCmd(t, nil, "", "svpnctl", "--socket", sockB, "certs", "send", "--cert", d.CertPath); code == 0 ||
		!strings.Contains(out, api.Number(api.CodeNotConnected)) {
		t.Fatalf("send without a session: exit %d\n%s", code, out)
	}

	// A typo in the code is caught before any attempt.
	if code, out := runCmd(t, nil, "", "svpnctl", "--socket", sockB, "certs", "receive", "--user", d.UserID, "--code", "1234-5678-9012"); code != 1 ||
		!strings.Contains(out, "E-262") {
		t.Fatalf("mistyped code: exit %d\n%s", code, out)
	}

	orig, _ := os.ReadFile(filepath.Join(filepath.Dir(d.CertPath), "signPri.key"))
	s := startSender(t, p.sock, "--cert", d.CertPath, "--delete-after")
	moveCode := s.code(t)
	driveB := t.TempDir()
	code, out = runCmd(t, nil, moveCode+"\n", "svpnctl", "--socket", sockB, "certs", "receive", "--user", d.UserID, "--removable", driveB)
	if code != 0 {
		t.Fatalf("receive: exit %d\n%s", code, out)
	}
	if c := s.wait(t); c != 0 {
		t.Fatalf("send: exit %d", c)
	}
	moved := filepath.Join(driveB, "NPKI")
	if !strings.Contains(out, moved) {
		t.Fatalf("receive does not say where it wrote the certificate:\n%s", out)
	}
	certPath := strings.TrimSpace(out[strings.LastIndex(out, ": ")+2:])
	if _, err := os.Stat(certPath); err != nil {
		t.Fatalf("printed path: %v", err)
	}
	// --delete-after: PC A's copy is gone once PC B has it.
	if _, err := os.Stat(d.CertPath); !os.IsNotExist(err) {
		t.Fatalf("--delete-after left %s: %v", d.CertPath, err)
	}
	if !strings.Contains(s.out.String(), "이 PC에서 인증서를 삭제했습니다") {
		t.Errorf("the sender does not say it deleted the certificate:\n%s", s.out.String())
	}
	// The moved key file is the original, still encrypted the same way.
	got, _ := os.ReadFile(filepath.Join(filepath.Dir(certPath), "signPri.key"))
	if len(orig) == 0 || string(orig) != string(got) {
		t.Fatal("the moved key file differs from the original")
	}
	// The picker of PC B finds it on the drive.
	if code, out := runCmd(t, nil, "", "svpnctl", "certs", "list", "--json", "--drive", driveB); code != 0 || !strings.Contains(out, certPath) {
		t.Fatalf("certs list on PC B: exit %d\n%s", code, out)
	}

	// PC B logs in with the moved certificate.
	code, out = runCmd(t, nil, newPW+"\n"+d.CertPassword+"\n", "svpnctl", "--socket", sockB,
		"login", "--user", d.UserID, "--cert", certPath, "--password-stdin")
	if code != 0 {
		t.Fatalf("login on PC B with the moved certificate: exit %d\n%s", code, out)
	}
	if st := status(t, nil, sockB); st.State != api.StateConnected {
		t.Fatalf("PC B: %s", st.State)
	}

	// Wrong code: B sends, A types another valid code for the same slot.
	s = startSender(t, sockB, "--cert", certPath)
	right := s.code(t)
	wrong := wrongCode(t, right)
	driveA := t.TempDir()
	code, out = runCmd(t, nil, "", "svpnctl", "--socket", p.sock, "certs", "receive", "--user", d.UserID, "--code", wrong, "--removable", driveA)
	if code != 1 || !strings.Contains(out, "E-263") {
		t.Fatalf("receive with a wrong code: exit %d\n%s", code, out)
	}
	if c := s.wait(t); c != 1 || !strings.Contains(s.out.String(), "인증번호가 일치하지 않습니다") {
		t.Fatalf("send with a wrong code at the other end: exit %d\n%s", c, s.out.String())
	}
	// The slot burnt: even the right code is refused now.
	code, out = runCmd(t, nil, "", "svpnctl", "--socket", p.sock, "certs", "receive", "--user", d.UserID, "--code", right, "--removable", driveA)
	if code != 1 || !(strings.Contains(out, "E-263") || strings.Contains(out, "E-266")) {
		t.Fatalf("second join of a burnt slot: exit %d\n%s", code, out)
	}
	if entries, _ := os.ReadDir(driveA); len(entries) != 0 {
		t.Fatal("a failed move left files behind")
	}
}

// wrongCode is a well-formed code for the same slot with other secret
// digits (so the check digit passes and an attempt is spent).
func wrongCode(t *testing.T, code string) string {
	digits := strings.ReplaceAll(code, "-", "")
	for i := 0; i < 100; i++ {
		body := digits[:3] + "0000" + string(rune('0'+i/10)) + string(rune('0'+i%10)) + "77"
		// The Luhn check digit of body.
		sum := 0
		for j := 0; j < len(body); j++ {
			dgt := int(body[len(body)-1-j] - '0')
			if j%2 == 0 {
				dgt *= 2
				if dgt > 9 {
					dgt -= 9
				}
			}
			sum += dgt
		}
		full := body + string(rune('0'+(10-sum%10)%10))
		if full != digits {
			return full[:4] + "-" + full[4:8] + "-" + full[8:]
		}
	}
	t.Fatal("no wrong code")
	return ""
}
