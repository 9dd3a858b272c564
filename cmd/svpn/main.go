// Command svpn is the desktop app, 원격근무서비스: the login window, the
// certificate picker, the tray and the diagnostics, in front of svpnd.
//
//	svpn [--socket SOCK] [--drive ROOT]... [--lang ko|en] [--open login|diagnostics|about] [--no-window]
//
// The first svpn of a user stays in the tray and opens each window in a
// child process of this binary (svpn --window KIND …), so that the
// resident process holds no OpenGL context; a second svpn brings the
// running one's window forward. --single-process keeps tray and windows in
// one Fyne app instead.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/local"
	"github.com/opensvpn/svpn/client/localsock"
	"github.com/opensvpn/svpn/internal/sessionbus"
	"github.com/opensvpn/svpn/ui"
	_ "github.com/opensvpn/svpn/ui/fynelocale" // before Fyne reads the locale
	"github.com/opensvpn/svpn/ui/tray"
)

var version = "dev"

// appID keys the app's preferences (the last ID, the last certificate's
// public facts) and its notifications.
const appID = "kr.opensvpn.svpn"

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

type options struct {
	socket        string
	drives        multiFlag
	disks         multiFlag
	lang          string
	open          string
	noWindow      bool
	window        string
	singleProcess bool
}

func main() {
	log.SetPrefix("svpn: ")
	// Without a session bus (a bare X server), godbus would start one
	// (dbus-launch) on the first notification or tray call, and leave its
	// dbus-daemon running after svpn ends; the diagnostics say there is
	// no bus instead (env.no_dbus).
	sessionbus.NoAutolaunch()
	var o options
	fs := flag.NewFlagSet("svpn", flag.ContinueOnError)
	fs.StringVar(&o.socket, "socket", localsock.DefaultAddress(), "svpnd's local API `address`")
	fs.Var(&o.drives, "drive", "also look for certificates on this drive `root` (as a removable drive); repeatable")
	fs.Var(&o.disks, "disk", "also look for certificates in this `folder` as the hard disk (its NPKI and GPKI/Certificate/class2); repeatable")
	fs.StringVar(&o.lang, "lang", "", "UI language: ko or en (default: the system's; Korean when unknown)")
	fs.StringVar(&o.open, "open", tray.WindowLogin, "window to show: login, diagnostics or about")
	fs.BoolVar(&o.noWindow, "no-window", false, "start in the tray only (autostart)")
	fs.BoolVar(&o.singleProcess, "single-process", false, "tray and windows in one process (uses more memory while idle)")
	fs.StringVar(&o.window, "window", "", "internal: be the window process of `kind` for the tray process")
	showVersion := fs.Bool("version", false, "print the version")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if *showVersion {
		fmt.Printf("svpn %s\n", version)
		return
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "svpn: unexpected argument %q\n", fs.Arg(0))
		os.Exit(2)
	}
	switch o.open {
	case tray.WindowLogin, tray.WindowDiagnostics, tray.WindowAbout:
	default:
		fmt.Fprintf(os.Stderr, "svpn: --open: login, diagnostics or about, not %q\n", o.open)
		os.Exit(2)
	}
	if o.noWindow {
		o.open = ""
	}
	choice := ui.ChooseLanguage(o.lang)
	switch {
	case o.window != "":
		runWindow(o, choice)
	case o.singleProcess:
		runSingle(o, choice)
	default:
		runTray(o, choice)
	}
}

// childArgs are the flags a window process inherits.
func (o options) childArgs() []string {
	args := []string{"--socket", o.socket}
	for _, d := range o.drives {
		args = append(args, "--drive", d)
	}
	for _, d := range o.disks {
		args = append(args, "--disk", d)
	}
	if o.lang != "" {
		args = append(args, "--lang", o.lang)
	}
	return args
}

func runTray(o options, choice ui.LanguageChoice) {
	exe, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	env := tray.ProbeEnv()
	// The tray process's own strings (menu, notifications). Fyne reads
	// LANGUAGE only when the locale is not plain C, and logs a parse error
	// for C.UTF-8 without it; set it just while loading.
	setLanguage := isCLocale(choice.System) && os.Getenv("LANGUAGE") == ""
	if setLanguage {
		os.Setenv("LANGUAGE", string(choice.Lang))
	}
	if err := ui.SetupLanguage(choice.Lang); err != nil {
		log.Fatal(err)
	}
	if setLanguage {
		os.Unsetenv("LANGUAGE")
	}
	a := app.NewWithID(appID)
	a.SetIcon(ui.AppIcon)
	d := local.NewClient(o.socket)
	// The window processes tell Fyne "English" through LANGUAGE, whatever
	// the UI language (ui.ChooseLanguage reads --lang, LC_* and LANG, not
	// LANGUAGE). Fyne adds the system font of its locale's language to every
	// text style's fallback fonts and parses all of its glyphs: for Korean,
	// a whole CJK font, tens of megabytes per window process, though the
	// bundled font has every Hangul syllable. It also quiets Fyne's "Error
	// parsing user locale C" under C.UTF-8. The browser a window starts
	// gets the user's LANGUAGE back (ui.UserLanguageEnv).
	userLanguage, ok := os.LookupEnv(ui.UserLanguageEnv) // set by fynelocale
	if !ok {
		userLanguage = os.Getenv("LANGUAGE")
	}
	childEnv := []string{"SVPN_UI_NOTES=" + strings.Join(env.Notes, ","),
		"LANGUAGE=en", ui.UserLanguageEnv + "=" + userLanguage}
	err = tray.Run(tray.ProcessOptions{Socket: o.socket, Daemon: d, App: a, Exe: exe, ChildArgs: o.childArgs(),
		ChildEnv: childEnv, Open: o.open, Env: env})
	if errors.Is(err, tray.ErrRunning) {
		return
	}
	if err != nil {
		log.Fatal(err)
	}
}

func isCLocale(s string) bool {
	s = strings.ToUpper(s)
	return s == "C" || s == "POSIX" || strings.HasPrefix(s, "C.") || s == ""
}

// newApp creates the Fyne app of a process that shows windows. A window
// process's app has no ID: Fyne then neither watches nor, when the window
// closes, rewrites the preferences file (the windows keep their facts in
// stateStore); single (--single-process) keeps the ID for notifications.
func newApp(choice ui.LanguageChoice, th fyne.Theme, single bool) fyne.App {
	if err := ui.SetupLanguage(choice.Lang); err != nil {
		log.Fatal(err)
	}
	var a fyne.App
	if single {
		a = app.NewWithID(appID)
	} else {
		a = app.New()
	}
	a.SetIcon(ui.AppIcon)
	a.Settings().SetTheme(th)
	return a
}

func windowOptions(o options, choice ui.LanguageChoice, notes []string, a fyne.App) ui.Options {
	return ui.Options{
		Store:  stateStore(a),
		Daemon: local.NewClient(o.socket), Socket: o.socket, Sources: ui.Sources(o.drives, o.disks),
		Version: version, Lang: choice, Environment: notes,
		OpenURL: ui.SystemOpener(), // nil: Fyne's
		NoTray:  slices.Contains(notes, "env.no_tray_host") || slices.Contains(notes, "env.no_dbus"),
	}
}

// stateStore is where the windows remember things: a file per key under
// the user's config directory (ui.FileStore), never Fyne's preferences
// file, which every Fyne app with an ID rewrites in place when it quits
// while the app's other processes watch it ("Preferences load error:
// EOF"). What an earlier version kept there is still read.
func stateStore(a fyne.App) ui.Store {
	dir, err := os.UserConfigDir()
	if err != nil {
		return a.Preferences()
	}
	return &ui.FileStore{Dir: filepath.Join(dir, "svpn"),
		Fallback: ui.LegacyPrefs{Path: filepath.Join(dir, "fyne", appID, "preferences.json")}}
}

// runWindow is a window process of the tray process: it shows one window,
// raises it on "show", quits on "quit" or when the tray process goes away
// (stdin closes), and exits when its window closes.
func runWindow(o options, choice ui.LanguageChoice) {
	var th fyne.Theme = ui.Theme{}
	if o.window == tray.WindowDiagnostics {
		th = ui.CompactTheme()
	}
	if os.Getenv("GOGC") == "" {
		// A window process's heap is mostly parsed fonts that live as long
		// as it does: collecting at half the usual growth keeps a few MB
		// of garbage out of its resident memory for no visible cost.
		debug.SetGCPercent(50)
	}
	// Starting up (parsing fonts, laying out) leaves freed heap the
	// runtime would give back to the system only slowly: give it back
	// once the window is up.
	time.AfterFunc(time.Second, debug.FreeOSMemory)
	a := newApp(choice, th, false)
	var notes []string
	if s := os.Getenv("SVPN_UI_NOTES"); s != "" {
		notes = strings.Split(s, ",")
	}
	opts := windowOptions(o, choice, notes, a)
	opts.OnConnected = func(api.Status) { a.Quit() } // the tray announces it
	// The connection window's connection ended: the tray process shows
	// the login window.
	opts.OnConnectionEnded = func(api.Status) { a.Quit() }
	opts.OpenDiagnostics = func() { fmt.Println("open diagnostics") }
	wins := ui.NewWindows(a, opts)
	show := func() fyne.Window {
		switch o.window {
		case tray.WindowDiagnostics:
			return wins.ShowDiagnostics()
		case tray.WindowAbout:
			return wins.ShowAbout()
		case tray.WindowConnected:
			return wins.ShowConnected()
		}
		return wins.ShowLogin()
	}
	show().SetMaster()
	go readCommands(os.Stdin, func(cmd string) {
		if cmd == "quit" {
			fyne.Do(a.Quit)
			return
		}
		fyne.Do(func() {
			switch addr, unopened := strings.CutPrefix(cmd, "unopened "); {
			case o.window == tray.WindowConnected && cmd == "ask-disconnect":
				wins.AskDisconnect()
			case o.window == tray.WindowConnected && unopened:
				wins.ShowUnopened(addr)
			default:
				show()
			}
			fmt.Println("shown")
		})
	})
	a.Run()
}

// readCommands reads the tray process's commands; end of input means it
// is gone, and so the window goes too.
func readCommands(r io.Reader, do func(string)) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		do(strings.TrimSpace(sc.Text()))
	}
	do("quit")
}

// runSingle keeps the tray (Fyne's desktop.App) and the windows in one
// process.
func runSingle(o options, choice ui.LanguageChoice) {
	env := tray.ProbeEnv()
	a := newApp(choice, ui.Theme{}, true)
	opts := windowOptions(o, choice, append(env.Notes, "env.single_process"), a)
	// Without a tray host the windows are the app: closing the last one
	// quits, as the diagnostics say (env.no_tray_host).
	opts.Persistent = env.Tray
	opts.NoTray = !env.Tray
	var wins *ui.Windows
	if env.Tray {
		opts.OnConnected = func(api.Status) { wins.HideLogin() } // the tray announces it
		opts.OnConnectionEnded = func(api.Status) { wins.HideConnected() }
	} else {
		// The connection window and the login window take each other's
		// place (singleActions, noTray).
		opts.OnConnected = func(api.Status) { wins.ShowConnected(); wins.CloseLogin() }
		opts.OnConnectionEnded = func(api.Status) { wins.ShowLogin(); wins.CloseConnected() }
	}
	wins = ui.NewWindows(a, opts)
	acts := &singleActions{wins: wins, a: a, noTray: !env.Tray}
	ctrl := tray.NewController(opts.Daemon, a, acts)
	ctrl.UseEnv(env)
	if h := tray.NewFyneHost(ctrl, a); h != nil && env.Tray {
		ctrl.SetHost(h)
	}
	a.Lifecycle().SetOnStarted(func() {
		go ctrl.Run(context.Background())
	})
	switch o.open {
	case tray.WindowLogin:
		wins.ShowLogin()
	case tray.WindowDiagnostics:
		wins.ShowDiagnostics()
	case tray.WindowAbout:
		wins.ShowAbout()
	}
	a.Run()
}

type singleActions struct {
	wins *ui.Windows
	a    fyne.App
	// noTray: the connection window and the login window take each
	// other's place, closing rather than hiding (a hidden window would
	// keep running an app nobody can reach); the new one opens first, as
	// the app quits when its last window closes.
	noTray bool
}

func (s *singleActions) ShowLogin() {
	fyne.Do(func() {
		s.wins.ShowLogin()
		if s.noTray {
			s.wins.CloseConnected()
		}
	})
}
func (s *singleActions) ShowDiagnostics() { fyne.Do(func() { s.wins.ShowDiagnostics() }) }
func (s *singleActions) ShowAbout()       { fyne.Do(func() { s.wins.ShowAbout() }) }
func (s *singleActions) Quit()            { fyne.Do(s.a.Quit) }

var _ tray.WindowActions = (*singleActions)(nil)

func (s *singleActions) ShowConnected() {
	fyne.Do(func() {
		s.wins.ShowConnected()
		if s.noTray {
			s.wins.CloseLogin()
		}
	})
}
func (s *singleActions) AskDisconnect() { fyne.Do(func() { s.wins.AskDisconnect() }) }
func (s *singleActions) ShowUnopened(addr string) {
	fyne.Do(func() { s.wins.ShowUnopened(addr) })
}
