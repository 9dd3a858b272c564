package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/opensvpn/svpn/assets"
)

// Resources made from the embedded assets.
var (
	fontRegular = fyne.NewStaticResource("SVPNGothic-Regular.ttf", assets.FontRegular)
	fontBold    = fyne.NewStaticResource("SVPNGothic-Bold.ttf", assets.FontBold)

	// AppIcon is the window and desktop icon.
	AppIcon = fyne.NewStaticResource("svpn.png", assets.AppIcon)
)

// Theme is Fyne's default theme, light or dark as the system says, with the
// bundled SVPN Gothic (NanumGothic's Hangul) for all text so that Hangul renders the same on every
// OS (Fyne's own font has no Hangul), and a slightly more sober accent.
type Theme struct{}

var _ fyne.Theme = Theme{}

// palette holds the colours the theme changes: light, then dark. The
// others are Fyne's.
var palette = map[fyne.ThemeColorName][2]color.NRGBA{
	theme.ColorNamePrimary:   {{0x1d, 0x4e, 0xd8, 0xff}, {0x5b, 0x8d, 0xef, 0xff}},
	theme.ColorNameHyperlink: {{0x1d, 0x4e, 0xd8, 0xff}, {0x8a, 0xb4, 0xf8, 0xff}},
	theme.ColorNameSuccess:   {{0x15, 0x80, 0x3d, 0xff}, {0x4a, 0xde, 0x80, 0xff}},
	theme.ColorNameError:     {{0xc8, 0x1e, 0x1e, 0xff}, {0xf8, 0x71, 0x71, 0xff}},
	theme.ColorNameWarning:   {{0xb4, 0x53, 0x09, 0xff}, {0xfb, 0xbf, 0x24, 0xff}},
	// WCAG AA (TestThemeContrast): Fyne's placeholder text and input
	// borders are too faint to read or to find the field by, and white on
	// the dark variant's light blue buttons too weak.
	theme.ColorNamePlaceHolder:         {{0x66, 0x66, 0x66, 0xff}, {0xa8, 0xa8, 0xa8, 0xff}},
	theme.ColorNameInputBorder:         {{0x8a, 0x8a, 0x8a, 0xff}, {0x7a, 0x7a, 0x7d, 0xff}},
	theme.ColorNameForegroundOnPrimary: {{0xff, 0xff, 0xff, 0xff}, {0x0b, 0x10, 0x20, 0xff}},
}

func (Theme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if c, ok := palette[n]; ok {
		if v == theme.VariantDark {
			return c[1]
		}
		return c[0]
	}
	return theme.DefaultTheme().Color(n, v)
}

func (Theme) Font(s fyne.TextStyle) fyne.Resource {
	if s.Symbol {
		return theme.DefaultTheme().Font(s)
	}
	if s.Bold {
		return fontBold
	}
	return fontRegular
}

func (Theme) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }

func (Theme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameText:
		return 14
	case theme.SizeNameSubHeadingText:
		return 17
	case theme.SizeNameHeadingText:
		return 22
	case theme.SizeNameCaptionText:
		return 12
	}
	return theme.DefaultTheme().Size(n)
}

// compactTheme tightens the spacing of dense read-only content (the
// diagnostics' tables) so that more of it fits without scrolling.
type compactTheme struct{ Theme }

// CompactTheme is the theme of a process that shows only the diagnostics
// window: its tables then need no theme override, which would make Fyne
// load every font once more for the override's scope (each load parses
// all of a font's glyphs: megabytes per font and style).
func CompactTheme() fyne.Theme { return compactTheme{} }

func (compactTheme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameInnerPadding:
		return 3
	case theme.SizeNamePadding:
		return 2
	case theme.SizeNameLineSpacing:
		return 3
	case theme.SizeNameText:
		return 13
	}
	return Theme{}.Size(n)
}
