// Command mkicons makes every icon file the installers need from one PNG:
// the hicolor theme sizes for Linux, a .ico for Windows (the executable's
// resource, the shortcuts, the NSIS installer) and a .icns for the macOS
// bundle.
//
//	mkicons --out DIR [--src FILE.png] [--assets DIR]
//
// The source is --src, else the largest of the desktop app's icons that
// exists in --assets (icons/app-1024.png, icons/app-512.png,
// icons/app-256.png, icons/app.png), else a generated placeholder: a white
// shield with a keyhole on a blue rounded square. DIR/SOURCE says which.
package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io/fs"
	"math"
	"os"
	"path/filepath"
)

// Candidates is where the desktop app's icon is looked for, best first.
var Candidates = []string{"icons/app-1024.png", "icons/app-512.png", "icons/app-256.png", "icons/app.png"}

// hicolorSizes are the sizes installed into the hicolor theme.
var hicolorSizes = []int{16, 24, 32, 48, 64, 128, 256, 512}

// icoSizes are the images of the .ico (PNG-compressed, Vista and later).
var icoSizes = []int{16, 24, 32, 48, 64, 128, 256}

// icnsTypes are the PNG entries of the .icns, by OSType.
var icnsTypes = []struct {
	typ  string
	size int
}{{"icp4", 16}, {"icp5", 32}, {"icp6", 64}, {"ic07", 128}, {"ic08", 256}, {"ic09", 512}, {"ic10", 1024}}

func main() {
	out := flag.String("out", "", "output `directory`")
	src := flag.String("src", "", "source PNG `file` (default: the app icon in --assets, else a placeholder)")
	assets := flag.String("assets", "assets", "the repository's assets `directory`")
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: mkicons --out DIR [--src FILE.png] [--assets DIR]")
		os.Exit(2)
	}
	if err := run(*out, *src, *assets); err != nil {
		fmt.Fprintf(os.Stderr, "mkicons: %v\n", err)
		os.Exit(1)
	}
}

func run(out, src, assets string) error {
	img, from, err := source(src, assets)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for _, s := range hicolorSizes {
		if s > img.Bounds().Dx() && s > 256 {
			continue // never invent detail beyond 256
		}
		b, err := encode(resize(img, s))
		if err != nil {
			return err
		}
		dir := filepath.Join(out, "hicolor", fmt.Sprintf("%dx%d", s, s), "apps")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "svpn.png"), b, 0o644); err != nil {
			return err
		}
	}
	ico, err := makeICO(img)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "svpn.ico"), ico, 0o644); err != nil {
		return err
	}
	icns, err := makeICNS(img)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "svpn.icns"), icns, 0o644); err != nil {
		return err
	}
	fmt.Printf("mkicons: icons from %s in %s\n", from, out)
	return os.WriteFile(filepath.Join(out, "SOURCE"), []byte(from+"\n"), 0o644)
}

// source loads the icon to scale from, and says where it came from.
func source(src, assets string) (image.Image, string, error) {
	if src == "" {
		for _, c := range Candidates {
			p := filepath.Join(assets, c)
			if _, err := os.Stat(p); err == nil {
				src = p
				break
			} else if !errors.Is(err, fs.ErrNotExist) {
				return nil, "", err
			}
		}
	}
	if src == "" {
		return placeholder(1024), "placeholder (no " + filepath.Join(assets, Candidates[2]) + ")", nil
	}
	f, err := os.Open(src)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", src, err)
	}
	if b := img.Bounds(); b.Dx() != b.Dy() || b.Dx() < 16 {
		return nil, "", fmt.Errorf("%s: the icon must be square and at least 16 pixels, got %dx%d", src, b.Dx(), b.Dy())
	}
	return img, src, nil
}

func encode(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img)
	return buf.Bytes(), err
}

// resize scales a square image to size×size: an area average when
// shrinking, bilinear when enlarging.
func resize(src image.Image, size int) *image.NRGBA {
	b := src.Bounds()
	rgba := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(rgba, rgba.Bounds(), src, b.Min, draw.Src) // premultiplied
	n := b.Dx()
	dst := image.NewNRGBA(image.Rect(0, 0, size, size))
	scale := float64(n) / float64(size)
	at := func(x, y int) (r, g, b, a float64) {
		x, y = min(max(x, 0), n-1), min(max(y, 0), n-1)
		o := rgba.PixOffset(x, y)
		p := rgba.Pix[o : o+4]
		return float64(p[0]), float64(p[1]), float64(p[2]), float64(p[3])
	}
	for y := range size {
		for x := range size {
			var r, g, bl, a float64
			if scale >= 1 {
				x0, x1 := float64(x)*scale, float64(x+1)*scale
				y0, y1 := float64(y)*scale, float64(y+1)*scale
				var wsum float64
				for sy := int(y0); float64(sy) < y1; sy++ {
					wy := math.Min(y1, float64(sy+1)) - math.Max(y0, float64(sy))
					for sx := int(x0); float64(sx) < x1; sx++ {
						wx := math.Min(x1, float64(sx+1)) - math.Max(x0, float64(sx))
						w := wx * wy
						pr, pg, pb, pa := at(sx, sy)
						r, g, bl, a, wsum = r+pr*w, g+pg*w, bl+pb*w, a+pa*w, wsum+w
					}
				}
				r, g, bl, a = r/wsum, g/wsum, bl/wsum, a/wsum
			} else {
				fx, fy := (float64(x)+0.5)*scale-0.5, (float64(y)+0.5)*scale-0.5
				ix, iy := int(math.Floor(fx)), int(math.Floor(fy))
				tx, ty := fx-float64(ix), fy-float64(iy)
				for _, c := range []struct {
					dx, dy int
					w      float64
				}{{0, 0, (1 - tx) * (1 - ty)}, {1, 0, tx * (1 - ty)}, {0, 1, (1 - tx) * ty}, {1, 1, tx * ty}} {
					pr, pg, pb, pa := at(ix+c.dx, iy+c.dy)
					r, g, bl, a = r+pr*c.w, g+pg*c.w, bl+pb*c.w, a+pa*c.w
				}
			}
			o := dst.PixOffset(x, y)
			if a < 0.5 {
				continue
			}
			un := func(v float64) uint8 { return uint8(math.Round(math.Min(255, v*255/a))) }
			dst.Pix[o], dst.Pix[o+1], dst.Pix[o+2], dst.Pix[o+3] = un(r), un(g), un(bl), uint8(math.Round(a))
		}
	}
	return dst
}

// makeICO writes a .ico whose images are PNG-compressed.
func makeICO(img image.Image) ([]byte, error) {
	var images [][]byte
	for _, s := range icoSizes {
		b, err := encode(resize(img, s))
		if err != nil {
			return nil, err
		}
		images = append(images, b)
	}
	var buf bytes.Buffer
	binary.Write(&buf, binary.LittleEndian, [3]uint16{0, 1, uint16(len(images))})
	offset := 6 + 16*len(images)
	for i, s := range icoSizes {
		dim := uint8(s)
		if s >= 256 {
			dim = 0 // 0 means 256
		}
		binary.Write(&buf, binary.LittleEndian, struct {
			W, H, Colors, Reserved uint8
			Planes, BPP            uint16
			Size, Offset           uint32
		}{dim, dim, 0, 0, 1, 32, uint32(len(images[i])), uint32(offset)})
		offset += len(images[i])
	}
	for _, b := range images {
		buf.Write(b)
	}
	return buf.Bytes(), nil
}

// makeICNS writes a .icns of PNG entries, up to the source's own size.
func makeICNS(img image.Image) ([]byte, error) {
	var body bytes.Buffer
	n := img.Bounds().Dx()
	for _, t := range icnsTypes {
		if t.size > n && t.size > 256 {
			continue // never invent detail beyond 256
		}
		b, err := encode(resize(img, t.size))
		if err != nil {
			return nil, err
		}
		body.WriteString(t.typ)
		binary.Write(&body, binary.BigEndian, uint32(8+len(b)))
		body.Write(b)
	}
	var out bytes.Buffer
	out.WriteString("icns")
	binary.Write(&out, binary.BigEndian, uint32(8+body.Len()))
	out.Write(body.Bytes())
	return out.Bytes(), nil
}

// placeholder draws the stand-in icon: a white shield with a keyhole on a
// blue rounded square, 4×4 supersampled.
func placeholder(size int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	const ss = 4
	top, bottom := color.NRGBA{0x2F, 0x80, 0xED, 0xFF}, color.NRGBA{0x1A, 0x3F, 0x8F, 0xFF}
	for y := range size {
		for x := range size {
			var r, g, b, a float64
			for sy := range ss {
				for sx := range ss {
					u := (float64(x) + (float64(sx)+0.5)/ss) / float64(size)
					v := (float64(y) + (float64(sy)+0.5)/ss) / float64(size)
					if !roundedSquare(u, v, 0.04, 0.2) {
						continue
					}
					c := mix(top, bottom, v)
					if shield(u, v) && !keyhole(u, v) {
						c = color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF}
					}
					r, g, b, a = r+float64(c.R), g+float64(c.G), b+float64(c.B), a+1
				}
			}
			if a == 0 {
				continue
			}
			img.SetNRGBA(x, y, color.NRGBA{uint8(r / a), uint8(g / a), uint8(b / a), uint8(255 * a / ss / ss)})
		}
	}
	return img
}

func mix(c0, c1 color.NRGBA, t float64) color.NRGBA {
	l := func(a, b uint8) uint8 { return uint8(float64(a)*(1-t) + float64(b)*t) }
	return color.NRGBA{l(c0.R, c1.R), l(c0.G, c1.G), l(c0.B, c1.B), 0xFF}
}

// roundedSquare: inside the square [m,1-m]² with corner radius r.
func roundedSquare(u, v, m, r float64) bool {
	if u < m || u > 1-m || v < m || v > 1-m {
		return false
	}
	cx := math.Min(math.Max(u, m+r), 1-m-r)
	cy := math.Min(math.Max(v, m+r), 1-m-r)
	return math.Hypot(u-cx, v-cy) <= r
}

// shield: flat top with a slight dip, straight sides, a curved point.
func shield(u, v float64) bool {
	const left, right, topY, sideEnd, tip = 0.27, 0.73, 0.2, 0.5, 0.84
	dx := math.Abs(u - 0.5)
	if v < topY+0.04*(1-dx/0.23) || dx > 0.23 {
		return false
	}
	if v <= sideEnd {
		return u >= left && u <= right
	}
	t := (v - sideEnd) / (tip - sideEnd) // 0 at the sides' end, 1 at the tip
	if t > 1 {
		return false
	}
	return dx <= 0.23*math.Sqrt(1-t*t)
}

func keyhole(u, v float64) bool {
	if math.Hypot(u-0.5, v-0.44) <= 0.07 {
		return true
	}
	if v >= 0.44 && v <= 0.64 {
		half := 0.03 + 0.03*(v-0.44)/0.2
		return math.Abs(u-0.5) <= half
	}
	return false
}
