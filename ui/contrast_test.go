package ui

import (
	"fmt"
	"image/color"
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// luminance is WCAG 2's relative luminance of an opaque colour.
func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	lin := func(v uint32) float64 {
		s := float64(v) / 0xffff
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

// over composites c (maybe translucent) over the opaque bg.
func over(c, bg color.Color) color.Color {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	b := color.NRGBAModel.Convert(bg).(color.NRGBA)
	a := float64(n.A) / 255
	mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x)*a + float64(y)*(1-a))) }
	return color.NRGBA{mix(n.R, b.R), mix(n.G, b.G), mix(n.B, b.B), 255}
}

func contrast(fg, bg color.Color) float64 {
	l1, l2 := luminance(over(fg, bg)), luminance(bg)
	if l1 < l2 {
		l1, l2 = l2, l1
	}
	return (l1 + 0.05) / (l2 + 0.05)
}

// TestThemeContrast: every colour pair the windows draw text with meets
// WCAG 2.1 AA (4.5:1 for text, 3:1 for the focus ring and input borders
// against what surrounds them), in the light and the dark variant.
func TestThemeContrast(t *testing.T) {
	th := Theme{}
	type pair struct {
		fg, bg fyne.ThemeColorName
		min    float64
	}
	text := 4.5
	pairs := []pair{
		{theme.ColorNameForeground, theme.ColorNameBackground, text},
		{theme.ColorNameForeground, theme.ColorNameInputBackground, text},
		{theme.ColorNameForeground, theme.ColorNameButton, text},
		{theme.ColorNameForeground, theme.ColorNameOverlayBackground, text}, // dialogs
		{theme.ColorNameForeground, theme.ColorNameMenuBackground, text},
		{theme.ColorNamePlaceHolder, theme.ColorNameInputBackground, text},
		{theme.ColorNameHyperlink, theme.ColorNameBackground, text},
		{theme.ColorNamePrimary, theme.ColorNameBackground, text}, // HighImportance labels (diagnostics' headings)
		{theme.ColorNameSuccess, theme.ColorNameBackground, text},
		{theme.ColorNameError, theme.ColorNameBackground, text},
		{theme.ColorNameWarning, theme.ColorNameBackground, text},
		{theme.ColorNameError, theme.ColorNameOverlayBackground, text},
		{theme.ColorNameWarning, theme.ColorNameOverlayBackground, text},
		{theme.ColorNameForegroundOnPrimary, theme.ColorNamePrimary, text}, // 로그인, 확인
		{theme.ColorNameForegroundOnError, theme.ColorNameError, text},     // 연결 끊기 in the question
		{theme.ColorNameForegroundOnSuccess, theme.ColorNameSuccess, text},
		{theme.ColorNameForegroundOnWarning, theme.ColorNameWarning, text},
		{theme.ColorNameInputBorder, theme.ColorNameBackground, 3}, // where a field is
		{theme.ColorNamePrimary, theme.ColorNameBackground, 3},     // a focused field's border
	}
	for _, v := range []fyne.ThemeVariant{theme.VariantLight, theme.VariantDark} {
		name := map[fyne.ThemeVariant]string{theme.VariantLight: "light", theme.VariantDark: "dark"}[v]
		for _, p := range pairs {
			bg := over(th.Color(p.bg, v), th.Color(theme.ColorNameBackground, v))
			fg := th.Color(p.fg, v)
			if c := contrast(fg, bg); c < p.min {
				t.Errorf("%s: %s on %s: %.2f:1, want ≥ %.1f:1 (%v on %v)", name, p.fg, p.bg, c, p.min, fmtColor(over(fg, bg)), fmtColor(bg))
			}
		}
		// A focused button is its colour with the translucent focus
		// colour over it: its text must stay readable.
		bg := th.Color(theme.ColorNameBackground, v)
		for _, b := range []struct{ fg, bg fyne.ThemeColorName }{
			{theme.ColorNameForeground, theme.ColorNameButton},
			{theme.ColorNameForegroundOnPrimary, theme.ColorNamePrimary},
			{theme.ColorNameForegroundOnError, theme.ColorNameError},
		} {
			focused := over(th.Color(theme.ColorNameFocus, v), over(th.Color(b.bg, v), bg))
			if c := contrast(th.Color(b.fg, v), focused); c < text {
				t.Errorf("%s: %s on a focused %s: %.2f:1", name, b.fg, b.bg, c)
			}
		}
	}
}

func fmtColor(c color.Color) string {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	return fmt.Sprintf("#%02x%02x%02x", n.R, n.G, n.B)
}

// TestContrastFormula checks the helper on WCAG's own extremes.
func TestContrastFormula(t *testing.T) {
	if c := contrast(color.Black, color.White); math.Abs(c-21) > 0.01 {
		t.Errorf("black on white %.2f, want 21", c)
	}
	if c := contrast(color.NRGBA{0x76, 0x76, 0x76, 0xff}, color.White); c < 4.5 || c > 4.6 {
		t.Errorf("#767676 on white %.2f, want 4.54", c)
	}
}
