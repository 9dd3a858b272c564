package xvfbtest

import (
	"fmt"
	"image"
	"image/color"
	_ "image/png"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestDesktopSmoke runs in every `go test ./...` (make test): the real svpn
// binary under Xvfb, against the demo gateway and svpnd --userspace, must
// open its login window (found with xdotool search) and draw something in
// it (a screenshot that is not one flat colour), within ~30 s of starting.
// It skips, saying why, on a machine without Xvfb, xdotool or ImageMagick.
// SVPN_SMOKE_PNG=FILE keeps the screenshot.
func TestDesktopSmoke(t *testing.T) {
	need(t, false)
	bin := t.TempDir()
	buildStart := time.Now()
	buildBinaries(t, bin)
	t.Logf("built svpn, svpnd, svpn-gateway, svpnctl in %v", time.Since(buildStart).Round(time.Millisecond))

	start := time.Now()
	display := startXvfb(t)
	X := x{t: t, display: display}
	d := startDemo(t, bin)
	ready := time.Now()
	d.app(t, display, t.TempDir(), []string{d.DriveRoot}, nil)
	login := X.window("^원격근무서비스$")
	shown := time.Now()

	// The window may be mapped a frame before it is drawn: look again for
	// a few seconds before calling it blank.
	png := filepath.Join(t.TempDir(), "login.png")
	var blank error
	for i := 0; i < 10; i++ {
		X.shot(login, png)
		if blank = notBlank(png); blank == nil {
			break
		}
	}
	if blank != nil {
		t.Fatalf("the login window's screenshot (%s): %v", png, blank)
	}
	if keep := os.Getenv("SVPN_SMOKE_PNG"); keep != "" { // to look at it
		if b, err := os.ReadFile(png); err == nil {
			os.WriteFile(keep, b, 0o644)
		}
	}
	t.Logf("Xvfb + demo gateway + svpnd up in %v; login window shown %v after svpn started; all in %v",
		ready.Sub(start).Round(time.Millisecond), shown.Sub(ready).Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	if el := time.Since(start); el > 30*time.Second {
		t.Errorf("the smoke test took %v, want under 30 s", el)
	}
}

// notBlank fails for an image smaller than a login window or with (nearly)
// one colour: a window the app mapped but never drew.
func notBlank(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return err
	}
	b := img.Bounds()
	if b.Dx() < 200 || b.Dy() < 150 {
		return fmt.Errorf("%dx%d pixels, smaller than the login window", b.Dx(), b.Dy())
	}
	counts := map[color.RGBA]int{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			counts[color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), 255}]++
		}
	}
	top := 0
	for _, n := range counts {
		top = max(top, n)
	}
	total := b.Dx() * b.Dy()
	if len(counts) < 16 || top > total*98/100 {
		return fmt.Errorf("looks blank: %d colours, the commonest covers %d%% of %dx%d", len(counts), top*100/total, b.Dx(), b.Dy())
	}
	return nil
}
