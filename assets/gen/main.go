// Command gen draws the app and tray icons of assets/icons and writes the
// bundled Hangul font (a subset of NanumGothic, SIL OFL 1.1, renamed SVPN
// Gothic) and its license from the Debian package fonts-nanum into
// assets/fonts (subsetting needs python3-fonttools). Run it from the repository
// root with `go generate ./assets` after changing the drawings; its output
// is committed, so building SVPN never needs it.
//
// The tray icons are a shield in the state's colour with one white glyph,
// drawn for 16 px first: a flat silhouette with a dark rim so it reads on
// light and dark panels, and glyphs no thinner than 2 px at 16 px.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/image/vector"
)

func main() {
	out := flag.String("out", ".", "the assets `directory`")
	fontDir := flag.String("fonts", "/usr/share/fonts/truetype/nanum", "where fonts-nanum installed NanumGothic")
	license := flag.String("license", "/usr/share/doc/fonts-nanum/copyright", "fonts-nanum's copyright file (holds the OFL text)")
	preview := flag.String("preview", "", "also write a preview `png` of the tray icons at 16, 22 and 32 px on light and dark panels")
	flag.Parse()
	if err := run(*out, *fontDir, *license, *preview); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(out, fontDir, license, preview string) error {
	icons := filepath.Join(out, "icons")
	if err := os.MkdirAll(icons, 0o755); err != nil {
		return err
	}
	if err := writePNG(filepath.Join(icons, "app.png"), appIcon(256)); err != nil {
		return err
	}
	for _, s := range trayStates {
		if err := writePNG(filepath.Join(icons, "tray-"+s.name+".png"), trayIcon(64, s)); err != nil {
			return err
		}
	}
	if preview != "" {
		if err := writePNG(preview, previewSheet()); err != nil {
			return err
		}
	}
	return copyFonts(filepath.Join(out, "fonts"), fontDir, license)
}

// trayState is one tray icon: shield colours and the glyph inside.
type trayState struct {
	name       string
	fill, rim  color.NRGBA
	drawGlyph  func(c *canvas)
	glyphColor color.NRGBA
}

var white = color.NRGBA{0xff, 0xff, 0xff, 0xff}

var trayStates = []trayState{
	{"disconnected", rgb(0x6b7280), rgb(0x30353d), keyhole, white},
	{"connecting", rgb(0xf59e0b), rgb(0x8a4a06), dots, white},
	{"connected", rgb(0x16a34a), rgb(0x0f4d27), check, white},
	{"error", rgb(0xdc2626), rgb(0x6e1414), exclamation, white},
}

func rgb(v uint32) color.NRGBA {
	return color.NRGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 0xff}
}

// canvas draws shapes given in unit coordinates (0..1) onto a square image.
type canvas struct {
	img  *image.NRGBA
	size float32
	col  color.NRGBA
}

func newCanvas(size int) *canvas {
	return &canvas{img: image.NewNRGBA(image.Rect(0, 0, size, size)), size: float32(size)}
}

// fill rasterizes the path built by f and paints it in c.col.
func (c *canvas) fill(f func(z *vector.Rasterizer, s float32)) {
	n := int(c.size)
	z := vector.NewRasterizer(n, n)
	f(z, c.size)
	z.Draw(c.img, c.img.Bounds(), image.NewUniform(c.col), image.Point{})
}

// shield adds the shield outline, scaled by k around the centre.
func shield(z *vector.Rasterizer, s, k float32) {
	p := func(x, y float32) (float32, float32) {
		return (0.5 + (x-0.5)*k) * s, (0.52 + (y-0.52)*k) * s
	}
	z.MoveTo(p(0.5, 0.04))
	cube(z, p, 0.63, 0.12, 0.77, 0.15, 0.91, 0.15)
	z.LineTo(p(0.91, 0.46))
	cube(z, p, 0.91, 0.73, 0.71, 0.89, 0.5, 0.98)
	cube(z, p, 0.29, 0.89, 0.09, 0.73, 0.09, 0.46)
	z.LineTo(p(0.09, 0.15))
	cube(z, p, 0.23, 0.15, 0.37, 0.12, 0.5, 0.04)
	z.ClosePath()
}

func cube(z *vector.Rasterizer, p func(x, y float32) (float32, float32), x1, y1, x2, y2, x3, y3 float32) {
	ax, ay := p(x1, y1)
	bx, by := p(x2, y2)
	cx, cy := p(x3, y3)
	z.CubeTo(ax, ay, bx, by, cx, cy)
}

// circle adds a circle (four cubic arcs).
func circle(z *vector.Rasterizer, s, cx, cy, r float32) {
	const k = 0.5523
	cx, cy, r = cx*s, cy*s, r*s
	z.MoveTo(cx+r, cy)
	z.CubeTo(cx+r, cy+k*r, cx+k*r, cy+r, cx, cy+r)
	z.CubeTo(cx-k*r, cy+r, cx-r, cy+k*r, cx-r, cy)
	z.CubeTo(cx-r, cy-k*r, cx-k*r, cy-r, cx, cy-r)
	z.CubeTo(cx+k*r, cy-r, cx+r, cy-k*r, cx+r, cy)
	z.ClosePath()
}

// stroke paints a polyline of width w with round joins and caps. Each
// piece is rasterized on its own: overlapping pieces of opposite winding in
// one rasterizer would cancel out.
func (c *canvas) stroke(w float32, pts ...[2]float32) {
	for i := 0; i+1 < len(pts); i++ {
		c.fill(func(z *vector.Rasterizer, s float32) {
			x0, y0, x1, y1 := pts[i][0]*s, pts[i][1]*s, pts[i+1][0]*s, pts[i+1][1]*s
			dx, dy := x1-x0, y1-y0
			l := float32(math.Hypot(float64(dx), float64(dy)))
			nx, ny := -dy/l*w*s/2, dx/l*w*s/2
			z.MoveTo(x0+nx, y0+ny)
			z.LineTo(x1+nx, y1+ny)
			z.LineTo(x1-nx, y1-ny)
			z.LineTo(x0-nx, y0-ny)
			z.ClosePath()
		})
	}
	for _, p := range pts {
		c.fill(func(z *vector.Rasterizer, s float32) { circle(z, s, p[0], p[1], w/2) })
	}
}

func check(c *canvas) {
	c.stroke(0.14, [2]float32{0.29, 0.52}, [2]float32{0.44, 0.67}, [2]float32{0.72, 0.37})
}

func dots(c *canvas) {
	for _, x := range []float32{0.28, 0.5, 0.72} {
		c.fill(func(z *vector.Rasterizer, s float32) { circle(z, s, x, 0.52, 0.085) })
	}
}

func exclamation(c *canvas) {
	c.stroke(0.15, [2]float32{0.5, 0.29}, [2]float32{0.5, 0.55})
	c.fill(func(z *vector.Rasterizer, s float32) { circle(z, s, 0.5, 0.75, 0.085) })
}

func keyhole(c *canvas) {
	c.fill(func(z *vector.Rasterizer, s float32) { circle(z, s, 0.5, 0.43, 0.13) })
	c.fill(func(z *vector.Rasterizer, s float32) {
		z.MoveTo(0.44*s, 0.47*s)
		z.LineTo(0.56*s, 0.47*s)
		z.LineTo(0.60*s, 0.76*s)
		z.LineTo(0.40*s, 0.76*s)
		z.ClosePath()
	})
}

func trayIcon(size int, st trayState) *image.NRGBA {
	c := newCanvas(size)
	c.col = st.rim
	c.fill(func(z *vector.Rasterizer, s float32) { shield(z, s, 1) })
	c.col = st.fill
	c.fill(func(z *vector.Rasterizer, s float32) { shield(z, s, 0.84) })
	c.col = st.glyphColor
	st.drawGlyph(c)
	return c.img
}

// appIcon: a blue rounded square with a white shield holding a house, the
// remote-work service's mark for the window, the desktop and installers.
func appIcon(size int) *image.NRGBA {
	c := newCanvas(size)
	c.col = rgb(0x1d4ed8)
	c.fill(func(z *vector.Rasterizer, s float32) { roundRect(z, s, 0.04, 0.04, 0.96, 0.96, 0.2) })
	c.col = rgb(0x2f6fe8)
	c.fill(func(z *vector.Rasterizer, s float32) { roundRect(z, s, 0.04, 0.04, 0.96, 0.5, 0.2) })
	c.col = white
	c.fill(func(z *vector.Rasterizer, s float32) { shield(z, s, 0.78) })
	c.col = rgb(0x1d4ed8)
	c.fill(func(z *vector.Rasterizer, s float32) {
		// roof
		z.MoveTo(0.5*s, 0.26*s)
		z.LineTo(0.73*s, 0.47*s)
		z.LineTo(0.27*s, 0.47*s)
		z.ClosePath()
		// walls
		z.MoveTo(0.34*s, 0.46*s)
		z.LineTo(0.66*s, 0.46*s)
		z.LineTo(0.66*s, 0.70*s)
		z.LineTo(0.34*s, 0.70*s)
		z.ClosePath()
	})
	c.col = white
	c.fill(func(z *vector.Rasterizer, s float32) { roundRect(z, s, 0.45, 0.55, 0.55, 0.70, 0.02) })
	return c.img
}

func roundRect(z *vector.Rasterizer, s, x0, y0, x1, y1, r float32) {
	const k = 0.5523
	x0, y0, x1, y1, r = x0*s, y0*s, x1*s, y1*s, r*s
	z.MoveTo(x0+r, y0)
	z.LineTo(x1-r, y0)
	z.CubeTo(x1-r+k*r, y0, x1, y0+r-k*r, x1, y0+r)
	z.LineTo(x1, y1-r)
	z.CubeTo(x1, y1-r+k*r, x1-r+k*r, y1, x1-r, y1)
	z.LineTo(x0+r, y1)
	z.CubeTo(x0+r-k*r, y1, x0, y1-r+k*r, x0, y1-r)
	z.LineTo(x0, y0+r)
	z.CubeTo(x0, y0+r-k*r, x0+r-k*r, y0, x0+r, y0)
	z.ClosePath()
}

// previewSheet shows each tray icon at 16, 22 and 32 px as a panel would
// (rendered at that size, not scaled), on a light and a dark strip, each
// pixel enlarged 6× so a reviewer can judge legibility.
func previewSheet() *image.NRGBA {
	const zoom = 6
	sizes := []int{16, 22, 32}
	w := 0
	for _, s := range sizes {
		w += (s + 4) * len(trayStates)
	}
	h := 2 * (32 + 8)
	sheet := image.NewNRGBA(image.Rect(0, 0, w*zoom, h*zoom))
	for row, bg := range []color.NRGBA{rgb(0xf3f4f6), rgb(0x1f2937)} {
		draw.Draw(sheet, image.Rect(0, row*(h/2)*zoom, w*zoom, (row+1)*(h/2)*zoom), image.NewUniform(bg), image.Point{}, draw.Src)
		x := 0
		for _, s := range sizes {
			for _, st := range trayStates {
				ic := trayIcon(s, st)
				y := row*(h/2) + 4
				for py := 0; py < s; py++ {
					for px := 0; px < s; px++ {
						r := image.Rect((x+2+px)*zoom, (y+py)*zoom, (x+3+px)*zoom, (y+py+1)*zoom)
						draw.Draw(sheet, r, image.NewUniform(ic.NRGBAAt(px, py)), image.Point{}, draw.Over)
					}
				}
				x += s + 4
			}
		}
	}
	return sheet
}

func writePNG(path string, img image.Image) error {
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&b, img); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// The bundled fonts are subsets of NanumGothic: Latin, the KS X 1001
// symbols and all 11,172 Hangul syllables, without the hanja (the system's
// fonts supply a rare one on demand) nor the hinting (Fyne does not hint).
// Fyne parses every glyph of a font when it loads it, once per text style
// and theme scope, so the full font cost each window process tens of
// megabytes. A subset is a Modified Version under the OFL, which may not
// bear the Reserved Font Names: it is renamed SVPN Gothic.
const (
	fontFamily  = "SVPN Gothic"
	fontUnicode = "U+0020-007E,U+00A0-017F,U+02C6-02DD,U+1100-11FF,U+2000-206F,U+20A9,U+20AC,U+2100-214F,U+2150-218F," +
		"U+2190-21FF,U+2200-22FF,U+2300-23FF,U+2460-24FF,U+2500-257F,U+25A0-25FF,U+2600-26FF,U+3000-303F,U+3130-318F," +
		"U+3200-32FF,U+3300-33FF,U+AC00-D7A3,U+FF00-FFEF"
)

// subsetScript subsets and renames a font with fontTools (Debian package
// python3-fonttools): argv source, destination, family, style.
const subsetScript = `
import sys
from fontTools import subset
from fontTools.ttLib import TTFont
src, dst, family, style, unicodes = sys.argv[1:6]
opts = subset.Options()
opts.hinting = False
opts.name_IDs = ["*"]
opts.name_languages = ["*"]
opts.layout_features = ["*"]
opts.drop_tables += ["TSI0", "TSI1", "TSI2", "TSI3", "TSI5"]
font = TTFont(src)
s = subset.Subsetter(opts)
s.populate(unicodes=subset.parse_unicodes(unicodes))
s.subset(font)
full = family if style == "Regular" else family + " " + style
ps = family.replace(" ", "") + "-" + style
names = {1: family, 2: style, 3: ps + ";subset", 4: full, 6: ps}
name = font["name"]
for rec in list(name.names):
    if rec.nameID in names:
        name.setName(names[rec.nameID], rec.nameID, rec.platformID, rec.platEncID, rec.langID)
    elif rec.nameID in (16, 17, 18, 21, 22):
        name.removeNames(nameID=rec.nameID)
font.save(dst)
`

// copyFonts writes the subsets of NanumGothic Regular and Bold and OFL.txt
// from the Debian copyright file's OFL paragraph.
func copyFonts(dst, src, license string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for _, f := range []struct{ in, out, style string }{
		{"NanumGothic.ttf", "SVPNGothic-Regular.ttf", "Regular"},
		{"NanumGothicBold.ttf", "SVPNGothic-Bold.ttf", "Bold"},
	} {
		in := filepath.Join(src, f.in)
		if _, err := os.Stat(in); err != nil {
			return fmt.Errorf("%w (install the Debian package fonts-nanum)", err)
		}
		cmd := exec.Command("python3", "-c", subsetScript, in, filepath.Join(dst, f.out), fontFamily, f.style, fontUnicode)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("subsetting %s: %v (install the Debian package python3-fonttools)\n%s", f.in, err, out)
		}
	}
	text, err := oflText(license)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dst, "OFL.txt"), []byte(text), 0o644)
}

// oflText extracts the license text of the "Files: *" paragraph of a
// Debian machine-readable copyright file.
func oflText(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var out strings.Builder
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "License: OFL-1.1"):
			in = true
		case in && !strings.HasPrefix(line, " "):
			in = false
		case in && strings.TrimSpace(line) == ".":
			out.WriteString("\n")
		case in:
			out.WriteString(strings.TrimPrefix(line, " ") + "\n")
		}
	}
	if out.Len() == 0 {
		return "", fmt.Errorf("%s: no OFL-1.1 license text", path)
	}
	return "SVPNGothic-Regular.ttf and SVPNGothic-Bold.ttf: subsets of NanumGothic and NanumGothicBold\n" +
		"(fonts-nanum), renamed SVPN Gothic as the license requires of a Modified Version.\n\n" + out.String(), sc.Err()
}
