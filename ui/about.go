package ui

import (
	"context"
	"runtime"
	"runtime/debug"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"
)

// moduleVersion returns the version of a dependency built in, "" if none.
func moduleVersion(path string) string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, m := range bi.Deps {
		if m.Path == path {
			return m.Version
		}
	}
	return ""
}

// newAboutWindow is 정보: the app's and svpnd's versions, and the licenses
// of what it bundles.
func newAboutWindow(x *Windows) fyne.Window {
	w := x.fa.NewWindow(T("about.title"))
	w.SetIcon(AppIcon)
	logo := canvas.NewImageFromResource(AppIcon)
	logo.FillMode = canvas.ImageFillContain
	logo.SetMinSize(fyne.NewSize(64, 64))
	grid := container.New(layout.NewFormLayout())
	row := func(k, v string) *widget.Label {
		l := widget.NewLabel(v)
		grid.Add(bold(T(k)))
		grid.Add(l)
		return l
	}
	row("about.app_version", x.o.Version)
	daemonVer := row("about.daemon_version", T("about.asking"))
	row("about.go_version", runtime.Version())
	row("about.fyne_version", moduleVersion("fyne.io/fyne/v2"))
	row("about.os", runtime.GOOS+"/"+runtime.GOARCH)
	ok := newKeyButton(T("common.close"), nil, func() { w.Close() })
	ok.Importance = widget.HighImportance
	w.SetContent(container.NewPadded(container.NewVBox(
		container.NewBorder(nil, nil, logo, nil, container.NewVBox(heading(T("app.name")), caption(T("app.subtitle")))),
		widget.NewSeparator(),
		grid,
		widget.NewSeparator(),
		caption(T("about.licenses")),
		container.NewHBox(layout.NewSpacer(), ok),
	)))
	w.Resize(fyne.NewSize(420, 10))
	w.CenterOnScreen()
	ctx, cancel := context.WithCancel(context.Background())
	x.setupClose(w, func() {
		cancel()
		x.about = nil
	})
	x.fitHeight(ctx, w, 420)
	// Enter or Escape closes it, as its one button does.
	escapeCloses(w, ok)
	w.Canvas().Focus(ok)
	go func() {
		cctx, ccancel := withTimeout(ctx, callTimeout)
		defer ccancel()
		d, err := x.o.Daemon.Diagnostics(cctx)
		x.onMain(ctx, func() {
			if err != nil {
				daemonVer.SetText(ExplainCode(CodeOfError(err)).Number)
				return
			}
			daemonVer.SetText(d.Versions["svpnd"])
		})
	}()
	return w
}
