package tray

import (
	"sync"

	"fyne.io/systray"

	"github.com/opensvpn/svpn/ui"
)

// SystrayHost is the tray drawn with fyne.io/systray directly, in a
// process without any Fyne window (see the package comment).
type SystrayHost struct {
	c     *Controller
	mu    sync.Mutex
	items map[menuItem]*systray.MenuItem
	last  ui.TrayView
}

// NewSystrayHost builds the menu; call it from systray's onReady.
func NewSystrayHost(c *Controller) *SystrayHost {
	h := &SystrayHost{c: c, items: map[menuItem]*systray.MenuItem{}}
	systray.SetTitle(ui.T("app.name"))
	systray.SetIcon(osIcon(iconPNG(ui.IconDisconnected)))
	add := func(i menuItem, label string) {
		it := systray.AddMenuItem(label, "")
		h.items[i] = it
		if i == itemStatus {
			it.Disable()
			return
		}
		action := c.itemAction(i)
		go func() {
			for range it.ClickedCh {
				action()
			}
		}()
	}
	add(itemStatus, ui.T("tray.status_disconnected"))
	systray.AddSeparator()
	add(itemPortal, itemLabel(itemPortal))
	add(itemConnect, itemLabel(itemConnect))
	add(itemDisconnect, itemLabel(itemDisconnect))
	systray.AddSeparator()
	add(itemDiagnostics, itemLabel(itemDiagnostics))
	add(itemLogin, itemLabel(itemLogin))
	add(itemAbout, itemLabel(itemAbout))
	systray.AddSeparator()
	add(itemQuit, itemLabel(itemQuit))
	systray.SetOnTapped(c.actions.ShowLogin)
	return h
}

// Update shows v: icon, tooltip, status line and which items apply.
func (h *SystrayHost) Update(v ui.TrayView) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if v.Icon != h.last.Icon {
		systray.SetIcon(osIcon(iconPNG(v.Icon)))
	}
	h.last = v
	systray.SetTooltip(ui.T("app.name") + " — " + v.Status)
	h.items[itemStatus].SetTitle(v.Status)
	if v.Portal != "" {
		h.items[itemPortal].Enable()
	} else {
		h.items[itemPortal].Disable()
	}
	if v.Connected || v.Busy {
		h.items[itemConnect].Hide()
		h.items[itemDisconnect].Show()
	} else {
		h.items[itemConnect].Show()
		h.items[itemDisconnect].Hide()
	}
}
