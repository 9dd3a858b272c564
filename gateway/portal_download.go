package gateway

import (
	"net/http"
	"strconv"
)

// downloadSize is what /download/10MB serves: 10 MiB, enough TCP segments
// through the tunnel that an MTU problem on the path (a black hole for
// full-size packets) shows as a stall.
const downloadSize = 10 << 20

// serveDownload writes downloadSize bytes of a fixed pattern (byte i is i
// mod 251, so a client can check every byte and a lost or reordered
// segment cannot go unnoticed).
func serveDownload(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(downloadSize))
	w.Header().Set("Cache-Control", "no-store")
	buf := make([]byte, 64<<10)
	for off := 0; off < downloadSize; off += len(buf) {
		for i := range buf {
			buf[i] = byte((off + i) % 251)
		}
		n := min(len(buf), downloadSize-off)
		if _, err := w.Write(buf[:n]); err != nil {
			return
		}
	}
}
