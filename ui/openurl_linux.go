package ui

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/opensvpn/svpn/internal/sessionbus"
)

// openWait is how long SystemOpener waits for xdg-open's verdict. xdg-open
// exits at once when it hands the URL to a running browser or fails; when it
// starts a browser in the foreground it is still running after this long,
// which counts as success.
const openWait = 3 * time.Second

// SystemOpener opens URLs with xdg-open, reports its failure (no browser
// configured: exit status 3 or 4) so the window can say so, and reaps it:
// Fyne's OpenURL starts xdg-open without waiting, which hides the failure and
// leaves a zombie per call in a long-lived process.
func SystemOpener() func(*url.URL) error {
	return func(u *url.URL) error {
		cmd := exec.Command("xdg-open", u.String())
		cmd.Env = browserEnv(os.Environ())
		if err := cmd.Start(); err != nil {
			return err
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }() // ends with xdg-open: the channel is buffered
		select {
		case err := <-done:
			if err != nil {
				return fmt.Errorf("xdg-open %s: %w", u, err)
			}
			return nil
		case <-time.After(openWait):
			return nil
		}
	}
}

// browserEnv is the environment for xdg-open and the browser: without the
// address svpn sets to keep itself from starting a session bus
// (sessionbus.NoAutolaunch), and with the user's LANGUAGE where a window
// process holds another one for Fyne (UserLanguageEnv): svpn's choices,
// not the browser's.
func browserEnv(env []string) []string {
	out := slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		return kv == "DBUS_SESSION_BUS_ADDRESS="+sessionbus.Disabled
	})
	for _, kv := range env {
		if lang, ok := strings.CutPrefix(kv, UserLanguageEnv+"="); ok {
			out = slices.DeleteFunc(out, func(kv string) bool {
				return strings.HasPrefix(kv, "LANGUAGE=") || strings.HasPrefix(kv, UserLanguageEnv+"=")
			})
			if lang != "" {
				out = append(out, "LANGUAGE="+lang)
			}
		}
	}
	return out
}
