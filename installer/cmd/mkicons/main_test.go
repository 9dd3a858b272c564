package main

import (
	"bytes"
	"encoding/binary"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

func TestMkiconsPlaceholder(t *testing.T) {
	out := t.TempDir()
	if err := run(out, "", t.TempDir()); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"16x16", "32x32", "48x48", "256x256", "512x512"} {
		f, err := os.Open(filepath.Join(out, "hicolor", s, "apps", "svpn.png"))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil || img.Bounds().Dx() == 0 {
			t.Fatalf("%s: %v", s, err)
		}
	}
	ico, _ := os.ReadFile(filepath.Join(out, "svpn.ico"))
	if len(ico) < 6 || binary.LittleEndian.Uint16(ico[2:]) != 1 || int(binary.LittleEndian.Uint16(ico[4:])) != len(icoSizes) {
		t.Fatalf("svpn.ico header % x", ico[:min(6, len(ico))])
	}
	for i := range icoSizes {
		e := ico[6+16*i:]
		size, off := binary.LittleEndian.Uint32(e[8:]), binary.LittleEndian.Uint32(e[12:])
		if _, err := png.Decode(bytes.NewReader(ico[off : off+size])); err != nil {
			t.Errorf("ico image %d: %v", i, err)
		}
	}
	icns, _ := os.ReadFile(filepath.Join(out, "svpn.icns"))
	if string(icns[:4]) != "icns" || int(binary.BigEndian.Uint32(icns[4:])) != len(icns) {
		t.Fatal("svpn.icns header")
	}
	n := 0
	for p := 8; p < len(icns); n++ {
		l := int(binary.BigEndian.Uint32(icns[p+4:]))
		if _, err := png.Decode(bytes.NewReader(icns[p+8 : p+l])); err != nil {
			t.Errorf("icns %s: %v", icns[p:p+4], err)
		}
		p += l
	}
	if n != len(icnsTypes) {
		t.Errorf("%d icns entries", n)
	}
}

func TestMkiconsUsesTheAppIcon(t *testing.T) {
	assets := t.TempDir()
	os.MkdirAll(filepath.Join(assets, "icons"), 0o755)
	var buf bytes.Buffer
	png.Encode(&buf, resize(placeholder(64), 64))
	os.WriteFile(filepath.Join(assets, "icons", "app.png"), buf.Bytes(), 0o644)
	out := t.TempDir()
	if err := run(out, "", assets); err != nil {
		t.Fatal(err)
	}
	src, _ := os.ReadFile(filepath.Join(out, "SOURCE"))
	if want := filepath.Join(assets, "icons", "app.png") + "\n"; string(src) != want {
		t.Errorf("SOURCE %q, want %q", src, want)
	}
	if _, err := os.Stat(filepath.Join(out, "hicolor", "512x512")); err == nil {
		t.Error("a 64 px icon was blown up to 512")
	}
}
