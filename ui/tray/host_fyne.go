package tray

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/opensvpn/svpn/ui"
)

// FyneHost is the tray through Fyne's desktop.App (fyne.io/systray under
// Fyne's driver), for --single-process, where the windows live in the same
// process as the tray.
type FyneHost struct {
	c    *Controller
	desk desktop.App
}

// NewFyneHost returns the tray of a running desktop Fyne app, or nil when
// the driver has none (mobile, tests).
func NewFyneHost(c *Controller, a fyne.App) *FyneHost {
	desk, ok := a.(desktop.App)
	if !ok {
		return nil
	}
	return &FyneHost{c: c, desk: desk}
}

// Update rebuilds the menu (Fyne's tray menu is set as a whole).
func (h *FyneHost) Update(v ui.TrayView) {
	fyne.Do(func() {
		item := func(i menuItem) *fyne.MenuItem { return fyne.NewMenuItem(itemLabel(i), h.c.itemAction(i)) }
		status := fyne.NewMenuItem(v.Status, nil)
		status.Disabled = true
		portal := item(itemPortal)
		portal.Disabled = v.Portal == ""
		conn := item(itemConnect)
		if v.Connected || v.Busy {
			conn = item(itemDisconnect)
		}
		quit := item(itemQuit)
		quit.IsQuit = true
		m := fyne.NewMenu(ui.T("app.name"), status, fyne.NewMenuItemSeparator(), portal, conn, fyne.NewMenuItemSeparator(),
			item(itemDiagnostics), item(itemLogin), item(itemAbout), fyne.NewMenuItemSeparator(), quit)
		h.desk.SetSystemTrayMenu(m)
		h.desk.SetSystemTrayIcon(IconResource(v.Icon))
	})
}
