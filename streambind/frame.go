package streambind

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Frame limits. A frame carries one WireGuard message; the length prefix is
// 16 bits, which is also wireguard-go's largest message (MaxMessageSize).
const (
	headerLen = 2
	// MaxFrame is the largest message a frame carries.
	MaxFrame = 1<<16 - 1
	// minFrame is the smallest WireGuard message (a keepalive: 16-byte
	// header and 16-byte tag). Anything shorter is not WireGuard.
	minFrame = 32
)

// ErrFrame is the error of a stream that is not a sequence of frames.
var ErrFrame = errors.New("streambind: malformed frame")

// appendFrame appends pkt as one frame to dst.
func appendFrame(dst, pkt []byte) ([]byte, error) {
	if len(pkt) < minFrame || len(pkt) > MaxFrame {
		return dst, fmt.Errorf("%w: a %d-byte packet (want %d–%d)", ErrFrame, len(pkt), minFrame, MaxFrame)
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(pkt)))
	return append(dst, pkt...), nil
}

// frameReader reads frames from a stream.
type frameReader struct {
	r *bufio.Reader
}

func newFrameReader(r io.Reader) *frameReader {
	if br, ok := r.(*bufio.Reader); ok && br.Size() >= 64<<10 {
		return &frameReader{r: br}
	}
	return &frameReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// next reads one frame into buf, which must hold MaxFrame bytes, and
// returns its length. A frame outside minFrame–MaxFrame is ErrFrame: the
// stream is out of step and must be closed. io.EOF means the stream ended
// cleanly between frames; io.ErrUnexpectedEOF, inside one.
func (f *frameReader) next(buf []byte) (int, error) {
	var h [headerLen]byte
	if _, err := io.ReadFull(f.r, h[:]); err != nil {
		return 0, err
	}
	n := int(binary.BigEndian.Uint16(h[:]))
	if n < minFrame {
		return 0, fmt.Errorf("%w: length %d below %d", ErrFrame, n, minFrame)
	}
	if n > len(buf) {
		return 0, fmt.Errorf("%w: length %d beyond the %d-byte buffer", ErrFrame, n, len(buf))
	}
	if _, err := io.ReadFull(f.r, buf[:n]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return 0, err
	}
	return n, nil
}

// ready reports whether a whole frame is buffered, so next will not block.
func (f *frameReader) ready() bool {
	n := f.r.Buffered()
	if n < headerLen {
		return false
	}
	h, _ := f.r.Peek(headerLen)
	return n >= headerLen+int(binary.BigEndian.Uint16(h))
}
