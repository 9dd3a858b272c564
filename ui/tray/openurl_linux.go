package tray

import (
	"net/url"
	"os/exec"
)

// systemOpener opens URLs with xdg-open and reaps it: Fyne's OpenURL
// starts xdg-open without waiting, which leaves a zombie per call in a
// process that lives as long as the tray does.
func systemOpener() func(*url.URL) error {
	return func(u *url.URL) error {
		cmd := exec.Command("xdg-open", u.String())
		if err := cmd.Start(); err != nil {
			return err
		}
		go cmd.Wait()
		return nil
	}
}
