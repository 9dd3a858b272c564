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
	p := &process{o: o, inst: inst}
	p.children = &Children{Exe: o.Exe, Args: o.ChildArgs, Env: o.ChildEnv,
		OnRequest: p.childRequest, OnExit: p.childExit}
	// The window first: it is what the user waits for.
	if o.Open != "" {
		p.show(o.Open)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.ctrl = NewController(o.Daemon, o.App, p)
	p.ctrl.UseEnv(o.Env)
	if open := ui.SystemOpener(); open != nil {
		p.ctrl.Open = open
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
	systray.Run(func() { p.ctrl.SetHost(NewSystrayHost(p.ctrl)) }, p.cleanup)
	return nil
}

func (p *process) show(kind string) {
	p.o.Log.Printf("showing the %s window", kind)
	if err := p.children.Show(kind); err != nil {
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
	case WindowLogin, WindowDiagnostics, WindowAbout:
		p.show(kind)
	}
}

func (p *process) childRequest(kind, r string) {
	if r == "open diagnostics" {
		p.show(WindowDiagnostics)
	}
}

// childExit: without a visible tray, the app lives only while the login
// window is open or a connection is up (the user could not reach it
// otherwise).
func (p *process) childExit(kind string) {
	p.o.Log.Printf("the %s window closed", kind)
	if kind != WindowLogin || p.o.Env.Tray {
		return
	}
	// The login window closes itself on a successful login: give the watch
	// stream a moment to report it.
	time.Sleep(500 * time.Millisecond)
	if v := p.ctrl.View(); !v.Connected && !v.Busy && !p.children.Running(WindowLogin) {
		p.o.Log.Printf("no tray and no connection: quitting with the window")
		p.Quit()
	}
}

func (p *process) ShowLogin()       { p.show(WindowLogin) }
func (p *process) ShowDiagnostics() { p.show(WindowDiagnostics) }
func (p *process) ShowAbout()       { p.show(WindowAbout) }

// Quit is 종료: close the windows and the tray. The connection is svpnd's
// and stays up.
func (p *process) Quit() {
	p.quitOnce.Do(func() {
		if p.o.Env.Tray || hasSessionBus() {
			systray.Quit()
			return
		}
		p.cleanup()
		os.Exit(0)
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

func hasSessionBus() bool {
	for _, n := range ProbeEnv().Notes {
		if n == "env.no_dbus" {
			return false
		}
	}
	return true
}
