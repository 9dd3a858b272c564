package tray

import (
	"bytes"
	"image"
	_ "image/png"

	"github.com/fyne-io/image/ico"
)

// osIcon converts a PNG to the ICO the Windows tray needs.
func osIcon(png []byte) []byte {
	img, _, err := image.Decode(bytes.NewReader(png))
	if err != nil {
		return png
	}
	var b bytes.Buffer
	if err := ico.Encode(&b, img); err != nil {
		return png
	}
	return b.Bytes()
}
