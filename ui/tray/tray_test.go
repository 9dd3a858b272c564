package tray

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/local"
	"github.com/opensvpn/svpn/ui"

	_ "github.com/opensvpn/svpn/internal/testlocale" // before Fyne reads the locale
)

func TestMain(m *testing.M) {
	// A squatter's single-instance socket (see TestClaimRefusesOtherUsersSocket).
	if path := os.Getenv(squatEnv); path != "" {
		os.Exit(squat(path))
	}
	// The window process stand-in (see TestChildren).
	if os.Getenv("SVPN_TRAY_TEST_CHILD") == "1" {
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			switch sc.Text() {
			case "show":
				fmt.Println("shown")
				fmt.Println("open diagnostics")
			case "quit":
				os.Exit(0)
			}
		}
		os.Exit(0)
	}
	if err := ui.SetupLanguage(ui.Korean); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestInstance(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ui.sock")
	// A stale socket file of a crashed instance does not block.
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	in, err := Claim(path, "show login")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	got := make(chan string, 2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go in.Serve(ctx, func(r string) { got <- r })
	// A second start hands its request over and stops.
	if _, err := Claim(path, "show diagnostics"); !errors.Is(err, ErrRunning) {
		t.Fatalf("second instance: %v", err)
	}
	select {
	case r := <-got:
		if r != "show diagnostics" {
			t.Errorf("request %q", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the request did not arrive")
	}
	p1, err1 := InstancePath("/a.sock")
	p2, err2 := InstancePath("/b.sock")
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if p1 == p2 {
		t.Error("instances of different svpnd sockets must not collide")
	}
}

// TestChildren runs the test binary as a window process stand-in: started
// on demand, raised (not restarted) when shown again, its requests passed
// on, stopped on quit.
func TestChildren(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var requests, exits []string
	c := &Children{Exe: exe, Env: []string{"SVPN_TRAY_TEST_CHILD=1"},
		OnRequest: func(kind, r string) { mu.Lock(); requests = append(requests, kind+":"+r); mu.Unlock() },
		OnExit:    func(kind string) { mu.Lock(); exits = append(exits, kind); mu.Unlock() }}
	if err := c.Show(WindowLogin); err != nil {
		t.Fatal(err)
	}
	pid := c.Pid(WindowLogin)
	if pid == 0 || !c.Running(WindowLogin) {
		t.Fatal("not running")
	}
	if err := c.Show(WindowLogin); err != nil {
		t.Fatal(err)
	}
	if c.Pid(WindowLogin) != pid {
		t.Error("showing again must raise the window, not start another process")
	}
	eventually(t, "the child's request", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(requests) == 1 && requests[0] == "login:open diagnostics"
	})
	// A window closing as it is asked to show comes back.
	c.mu.Lock()
	c.procs[WindowLogin].pending = true
	c.mu.Unlock()
	syscall.Kill(pid, syscall.SIGKILL)
	eventually(t, "the window to be started again", func() bool { p := c.Pid(WindowLogin); return p != 0 && p != pid })
	c.StopAll(5 * time.Second)
	eventually(t, "the exit", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(exits) == 2
	})
	if c.Running(WindowLogin) {
		t.Error("still running")
	}
}

// fakeDaemon serves a scripted watch stream.
type fakeDaemon struct {
	ui.Daemon
	mu      sync.Mutex
	streams [][]api.Status // one per Watch call; nil = unavailable
	calls   int
	logout  int
}

func (f *fakeDaemon) Watch(ctx context.Context, fn func(api.Status)) error {
	f.mu.Lock()
	i := f.calls
	f.calls++
	var s []api.Status
	if i < len(f.streams) {
		s = f.streams[i]
	}
	f.mu.Unlock()
	if i >= len(f.streams) {
		<-ctx.Done()
		return ctx.Err()
	}
	if s == nil {
		return &api.Error{Code: local.CodeDaemonUnavailable}
	}
	for _, st := range s {
		fn(st)
	}
	if i == len(f.streams)-1 {
		<-ctx.Done()
		return ctx.Err()
	}
	return &api.Error{Code: local.CodeDaemonUnavailable, Message: "restarted"}
}

func (f *fakeDaemon) Logout(context.Context) (api.Status, error) {
	f.mu.Lock()
	f.logout++
	f.mu.Unlock()
	return api.Status{State: api.StateDisconnected}, nil
}

type fakeHost struct {
	mu    sync.Mutex
	views []ui.TrayView
}

func (h *fakeHost) Update(v ui.TrayView) { h.mu.Lock(); h.views = append(h.views, v); h.mu.Unlock() }
func (h *fakeHost) last() ui.TrayView {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.views[len(h.views)-1]
}

type fakeActions struct {
	mu    sync.Mutex
	login int
}

func (a *fakeActions) ShowLogin()       { a.mu.Lock(); a.login++; a.mu.Unlock() }
func (a *fakeActions) ShowDiagnostics() {}
func (a *fakeActions) ShowAbout()       {}
func (a *fakeActions) Quit()            {}

// TestController: the stream drives icon, menu, notifications, the portal
// and the login window; svpnd restarting is survived.
func TestController(t *testing.T) {
	connected := api.Status{State: api.StateConnected, GatewayName: "GW", Address: "10.77.0.2/32", PortalURL: "http://10.77.0.1/", ConnectedAt: time.Now()}
	d := &fakeDaemon{streams: [][]api.Status{
		{{State: api.StateDisconnected}, {State: api.StateAuthenticating}, {State: api.StateConnecting}, connected},
		nil, // svpnd restarting
		{connected, {State: api.StateDisconnected, EndReason: "kicked", LastErrorCode: api.CodeSessionEnded}},
	}}
	acts := &fakeActions{}
	c := NewController(d, test.NewTempApp(t), acts)
	var mu sync.Mutex
	var notices []ui.Notice
	var opened []string
	c.Notify = func(n ui.Notice) { mu.Lock(); notices = append(notices, n); mu.Unlock() }
	c.Open = func(u *url.URL) error { mu.Lock(); opened = append(opened, u.String()); mu.Unlock(); return nil }
	h := &fakeHost{}
	c.SetHost(h)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.Run(ctx)
	eventually(t, "the kick", func() bool {
		acts.mu.Lock()
		defer acts.mu.Unlock()
		return acts.login == 1
	})
	mu.Lock()
	var titles []string
	for _, n := range notices {
		titles = append(titles, n.Title)
	}
	mu.Unlock()
	if got := strings.Join(titles, "|"); got != "원격근무서비스 접속 완료|원격근무 서비스 응답 없음|원격근무서비스 접속 종료" {
		t.Errorf("notifications: %s", got)
	}
	if len(opened) != 1 || opened[0] != "http://10.77.0.1/" {
		t.Errorf("portal: %v", opened)
	}
	if v := h.last(); v.Icon != ui.IconDisconnected || v.Connected {
		t.Errorf("last view %+v", v)
	}
	c.Disconnect()
	eventually(t, "logout", func() bool { d.mu.Lock(); defer d.mu.Unlock(); return d.logout == 1 })
}

// Without a notification service the controller sends none: each would
// only log an error.
func TestControllerWithoutNotifications(t *testing.T) {
	c := NewController(&fakeDaemon{}, test.NewTempApp(t), &fakeActions{})
	sent := 0
	c.Notify = func(ui.Notice) { sent++ }
	c.UseEnv(Env{Tray: true, Notifications: true})
	c.Notify(ui.Notice{Title: "t"})
	c.UseEnv(Env{Notes: []string{"env.no_dbus"}})
	c.Notify(ui.Notice{Title: "t"})
	if sent != 1 {
		t.Errorf("%d notifications sent, want 1 (before UseEnv without notifications)", sent)
	}
}
