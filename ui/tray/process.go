package tray

import (
	"context"
	"errors"
	"log"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/systray"

	"github.com/opensvpn/svpn/ui"
)

// ProcessOptions configure the resident tray process.
type ProcessOptions struct {
	Socket string // svpnd's address; also keys the single-instance channel
	Daemon ui.Daemon
	// App is a Fyne app that is never run: notifications and URLs.
	App fyne.App
	// Exe and ChildArgs start a window process: Exe --window KIND ChildArgs…
	Exe       string
	ChildArgs []string
	ChildEnv  []string
	// Open is the window to show at start ("" for none: --no-window).
	Open string
	Env  Env
	Log  *log.Logger
}

// process is the resident tray process.
type process struct {
	o        ProcessOptions
	ctrl     *Controller
	children *Children
	cancel   context.CancelFunc
	quitOnce sync.Once
	quit     chan struct{} // closed by Quit when no systray loop runs
	inst     *Instance
}

// Run runs the tray process until the user quits; if another instance
// runs for the same svpnd, it asks that one to show o.Open and returns
// ErrRunning at once.
func Run(o ProcessOptions) error {
	if o.Log == nil {
		o.Log = log.New(os.Stderr, "svpn: ", log.LstdFlags)
	}
	request := "show " + o.Open
	if o.Open == "" {
		request = "show none"
	}
	path, err := InstancePath(o.Socket)
	var inst *Instance
	if err == nil {
		inst, err = Claim(path, request)
	}
	if errors.Is(err, ErrRunning) {
		return err
	}
	if err != nil {
		o.Log.Printf("single instance: %v (continuing)", err)
	}
	p := &process{o: o, inst: inst, quit: make(chan struct{})}
	p.children = &Children{Exe: o.Exe, Args: o.ChildArgs, Env: o.ChildEnv,
		OnRequest: p.childRequest, OnExit: p.childExit}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.ctrl = NewController(o.Daemon, o.App, p)
	p.ctrl.UseEnv(o.Env)
	if open := ui.SystemOpener(); open != nil {
		p.ctrl.Open = open
	}
	// The window first: it is what the user waits for. Without a tray, a
	// start while connected shows the connection window instead of the
	// login window: what the first status says decides (svpnd answers in
	// milliseconds; a second at most).
	switch {
	case o.Open == "":
	case o.Env.Tray || o.Open != WindowLogin:
		p.show(o.Open)
	default:
		go func() {
			t := time.NewTimer(time.Second)
			defer t.Stop()
			select {
			case <-p.ctrl.Ready():
			case <-t.C:
			case <-ctx.Done():
				return
			}
			p.show(WindowLogin)
		}()
	}
	if inst != nil {
		go inst.Serve(ctx, p.request)
	}
	go p.ctrl.Run(ctx)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		p.Quit()
	}()
	if !o.Env.Tray {
		// No tray host: the windows stand in, and systray would only log
		// that it found none ("systray error: failed to connect to DBus").
		<-p.quit
		p.cleanup()
		return nil
	}
	systray.Run(func() { p.ctrl.SetHost(NewSystrayHost(p.ctrl)) }, p.cleanup)
	return nil
}

// show raises the window of kind. Without a tray, the connection window
// stands in for the login window while connected.
func (p *process) show(kind string) {
	if kind == WindowLogin && !p.o.Env.Tray && p.ctrl.View().Connected {
		kind = WindowConnected
	}
	p.send(kind, "show")
}

func (p *process) send(kind, line string) {
	p.o.Log.Printf("showing the %s window", kind)
	if err := p.children.Send(kind, line); err != nil {
		p.o.Log.Printf("opening the %s window: %v", kind, err)
	}
}

// request handles a second instance's request.
func (p *process) request(r string) {
	kind, ok := strings.CutPrefix(r, "show ")
	if !ok || kind == "none" {
		return
	}
	switch kind {
	case WindowLogin, WindowDiagnostics, WindowAbout, WindowConnected:
		p.show(kind)
	}
}

func (p *process) childRequest(kind, r string) {
	if r == "open diagnostics" {
		p.show(WindowDiagnostics)
	}
}

// childExit: without a tray, the app lives only while one of its windows
// is open (the user could not reach it otherwise), and the connection
// window takes over from the login window once connected. So closing the
// last window quits, as the diagnostics say (env.no_tray_host); the
// connection is svpnd's and stays up.
func (p *process) childExit(kind string) {
	p.o.Log.Printf("the %s window closed", kind)
	if p.o.Env.Tray {
		return
	}
	// The login window closes itself on a successful login: give the watch
	// stream a moment to report it.
	time.Sleep(500 * time.Millisecond)
	if kind == WindowLogin && p.ctrl.View().Connected && !p.children.Running(WindowConnected) {
		p.show(WindowConnected)
		return
	}
	if !p.children.Any() {
		p.o.Log.Printf("no tray and no window open: quitting")
		p.Quit()
	}
}

func (p *process) ShowLogin()       { p.show(WindowLogin) }
func (p *process) ShowDiagnostics() { p.show(WindowDiagnostics) }
func (p *process) ShowAbout()       { p.show(WindowAbout) }

// ShowConnected shows the connection window, which takes over from the
// login window (a login from elsewhere, svpnctl, leaves it open).
func (p *process) ShowConnected() {
	p.show(WindowConnected)
	p.children.Close(WindowLogin)
}

// AskDisconnect is the menu's 연결 끊기, asked in the connection window.
func (p *process) AskDisconnect() { p.send(WindowConnected, "ask-disconnect") }

// ShowUnopened shows the address the browser could not open.
func (p *process) ShowUnopened(addr string) { p.send(WindowConnected, "unopened "+addr) }

// Quit is 종료: close the windows and the tray. The connection is svpnd's
// and stays up.
func (p *process) Quit() {
	p.quitOnce.Do(func() {
		if p.o.Env.Tray {
			systray.Quit()
			return
		}
		close(p.quit)
	})
}

func (p *process) cleanup() {
	if p.cancel != nil {
		p.cancel()
	}
	p.children.StopAll(2 * time.Second)
	if p.inst != nil {
		p.inst.Close()
	}
}
