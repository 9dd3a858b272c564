package streambind

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestFrameRoundTrip(t *testing.T) {
	var stream []byte
	var want [][]byte
	for _, n := range []int{minFrame, 148, 1452, MaxFrame} {
		p := bytes.Repeat([]byte{byte(n)}, n)
		var err error
		if stream, err = appendFrame(stream, p); err != nil {
			t.Fatal(err)
		}
		want = append(want, p)
	}
	fr := newFrameReader(bytes.NewReader(stream))
	buf := make([]byte, MaxFrame)
	for i, w := range want {
		n, err := fr.next(buf)
		if err != nil || !bytes.Equal(buf[:n], w) {
			t.Fatalf("frame %d: %d bytes, %v", i, n, err)
		}
	}
	if _, err := fr.next(buf); err != io.EOF {
		t.Fatalf("after the last frame: %v, want io.EOF", err)
	}
}

func TestFrameRefusesBadLengths(t *testing.T) {
	for _, n := range []int{0, 1, minFrame - 1, MaxFrame + 1} {
		if _, err := appendFrame(nil, make([]byte, n)); !errors.Is(err, ErrFrame) {
			t.Errorf("appendFrame of %d bytes: %v, want ErrFrame", n, err)
		}
	}
	buf := make([]byte, MaxFrame)
	for name, c := range map[string]struct {
		in   []byte
		want error
	}{
		"zero length":      {[]byte{0, 0}, ErrFrame},
		"below a message":  {[]byte{0, minFrame - 1}, ErrFrame},
		"truncated header": {[]byte{0}, io.ErrUnexpectedEOF},
		"truncated body":   {append([]byte{0, 40}, make([]byte, 39)...), io.ErrUnexpectedEOF},
		"header only":      {[]byte{0, 40}, io.ErrUnexpectedEOF},
	} {
		if _, err := newFrameReader(bytes.NewReader(c.in)).next(buf); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	// A frame longer than the reader's buffer is refused, not overflowed.
	if _, err := newFrameReader(bytes.NewReader([]byte{0x10, 0})).next(make([]byte, 100)); !errors.Is(err, ErrFrame) {
		t.Errorf("frame beyond the buffer: %v", err)
	}
}

// FuzzFrameReader feeds arbitrary streams to the parser: it never panics,
// never returns a frame outside the limits, and what it accepts encodes
// back to the bytes it consumed.
func FuzzFrameReader(f *testing.F) {
	ok, _ := appendFrame(nil, make([]byte, 148))
	ok, _ = appendFrame(ok, bytes.Repeat([]byte{7}, 32))
	f.Add(ok)
	f.Add([]byte{0, 0})
	f.Add([]byte{0xff, 0xff, 1, 2, 3})
	f.Add([]byte{0, 31})
	f.Fuzz(func(t *testing.T, in []byte) {
		fr := newFrameReader(bytes.NewReader(in))
		buf := make([]byte, MaxFrame)
		var again []byte
		for {
			n, err := fr.next(buf)
			if err != nil {
				if !bytes.HasPrefix(in, again) {
					t.Fatalf("accepted frames do not re-encode to the input's prefix")
				}
				return
			}
			if n < minFrame || n > MaxFrame {
				t.Fatalf("frame of %d bytes accepted", n)
			}
			if again, err = appendFrame(again, buf[:n]); err != nil {
				t.Fatal(err)
			}
		}
	})
}
