package ui

import (
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/client/local"
)

// diagDaemon is scriptedDaemon with a whole diagnostics snapshot.
type diagDaemon struct {
	scriptedDaemon
	diag api.Diagnostics
}

func (d *diagDaemon) Diagnostics(context.Context) (*api.Diagnostics, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.diag
	return &s, nil
}

const testHelpdesk = "☎ 콜센터 : 1833-6570 (운영시간 : 09:00 ~ 18:00)"

// diagText opens 진단 정보 over dm and returns its text once it holds want.
func diagText(t *testing.T, a fyne.App, dm Daemon, want string) string {
	t.Helper()
	x := newTestWindows(t, a, Options{Daemon: dm, Sources: func() []certstore.Source { return nil },
		OpenURL: func(*url.URL) error { return nil }, Socket: "/run/svpn/none.sock"})
	x.ShowDiagnostics()
	dw := x.diag
	t.Cleanup(func() { dw.w.Close() })
	var text string
	eventually(t, 10*time.Second, "the diagnostics with "+want, func() bool {
		text = dw.Text()
		return strings.Contains(text, want)
	})
	return text
}

// downDaemon is svpnd not running: the real client on a socket nobody
// listens on.
func downDaemon(t *testing.T) Daemon {
	c := local.NewClient(filepath.Join(t.TempDir(), "none.sock"))
	t.Cleanup(c.Close)
	return c
}

// TestDiagnosticsWithoutDaemon: when svpnd is down, 진단 정보 still has
// the helpdesk line and the last known facts, saying svpnd is not running.
func TestDiagnosticsWithoutDaemon(t *testing.T) {
	a := test.NewTempApp(t)
	up := &diagDaemon{diag: api.Diagnostics{
		Status:  api.Status{State: api.StateConnected, User: "kim01", Address: "10.77.0.9/32"},
		Profile: api.Profile{Name: "원격근무", GatewayURL: "https://vpn.example", Helpdesk: testHelpdesk},
	}}
	diagText(t, a, up, "1833-6570")

	text := diagText(t, a, downDaemon(t), "1833-6570")
	for _, want := range []string{T("diag.daemon_down"), "[마지막으로 확인한 정보]", "접속됨", "kim01", "10.77.0.9/32",
		"https://vpn.example", testHelpdesk} {
		if !strings.Contains(text, want) {
			t.Errorf("diagnostics without svpnd lack %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, T("diag.helpdesk_unknown")) {
		t.Errorf("helpdesk unknown:\n%s", text)
	}
}

// TestDiagnosticsRememberProfile: a profile the app was given once (the
// login window's RememberProfile) is enough for the helpdesk line.
func TestDiagnosticsRememberProfile(t *testing.T) {
	a := test.NewTempApp(t)
	x := newTestWindows(t, a, Options{Daemon: &scriptedDaemon{}, Sources: func() []certstore.Source { return nil },
		OpenURL: func(*url.URL) error { return nil }})
	x.RememberProfile(&api.ProfileInfo{Gateway: &api.Info{Helpdesk: testHelpdesk}})
	text := diagText(t, a, downDaemon(t), "1833-6570")
	if !strings.Contains(text, T("diag.daemon_down")) || strings.Contains(text, "[마지막으로 확인한 정보]") {
		t.Errorf("no facts seen yet:\n%s", text)
	}
}

// TestDiagnosticsKorean: in Korean, the diagnostics say everything in
// Korean: the userspace note, the recent errors (the catalogue's sentence
// with its E-number, not the gateway's raw words), the version labels.
func TestDiagnosticsKorean(t *testing.T) {
	a := test.NewTempApp(t)
	raw := "gateway refused (403): password_change_required: the password must be changed"
	dm := &diagDaemon{diag: api.Diagnostics{
		Status: api.Status{State: api.StateDisconnected, Userspace: true, ProxyAddr: "127.0.0.1:1080",
			LastErrorCode: api.CodeGatewayUnreachable, LastError: "dial tcp 10.0.0.1:443: connection refused"},
		Profile:  api.Profile{Helpdesk: testHelpdesk},
		Versions: map[string]string{"svpnd": "1.2.3", "go": "go1.24.0", "os": "linux/amd64"},
		Errors: []api.ErrorEvent{
			{Time: time.Now(), Code: api.CodeGatewayUnreachable, Message: "dial tcp 10.0.0.1:443: connection refused"},
			{Time: time.Now(), Code: api.CodePasswordPolicy, Message: raw},
		},
		Notes: []string{"userspace mode: the tunnel is reachable through the proxy 127.0.0.1:1080"},
	}}
	text := diagText(t, a, dm, "1833-6570")
	for _, english := range []string{"userspace mode", "gateway refused", "password_change_required", "connection refused",
		"dial tcp", "  go:", "  os:", "  svpnd:"} {
		if strings.Contains(text, english) {
			t.Errorf("Korean diagnostics show %q:\n%s", english, text)
		}
	}
	policy, unreachable := ExplainCode(api.CodePasswordPolicy), ExplainCode(api.CodeGatewayUnreachable)
	for _, want := range []string{policy.Number, policy.Text, unreachable.String(), "Go 런타임: go1.24.0", "운영체제: linux/amd64",
		"svpnd (SVPN 서비스): 1.2.3", "127.0.0.1:1080"} {
		if !strings.Contains(text, want) {
			t.Errorf("Korean diagnostics lack %q:\n%s", want, text)
		}
	}
}
