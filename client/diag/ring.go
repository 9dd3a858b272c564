// Package diag holds what the helpdesk reads: the daemon's recent log lines
// (a ring kept in memory) and the support bundle, a zip with the
// diagnostics snapshot, the log and the system's network state, with every
// secret redacted.
package diag

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
)

// Ring is a slog.Handler that keeps the last lines it formatted and passes
// every record on to another handler.
type Ring struct {
	next  slog.Handler
	inner slog.Handler // formats into buf
	st    *ringState
}

type ringState struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	lines []string
	max   int
}

// NewRing keeps the last max lines and forwards records to next (nil: none).
func NewRing(next slog.Handler, max int) *Ring {
	st := &ringState{max: max}
	return &Ring{next: next, st: st, inner: slog.NewTextHandler(&st.buf, &slog.HandlerOptions{Level: slog.LevelDebug})}
}

func (r *Ring) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelInfo || (r.next != nil && r.next.Enabled(ctx, l))
}

func (r *Ring) Handle(ctx context.Context, rec slog.Record) error {
	if rec.Level >= slog.LevelInfo {
		r.st.mu.Lock()
		r.inner.Handle(ctx, rec)
		for _, l := range bytes.Split(bytes.TrimRight(r.st.buf.Bytes(), "\n"), []byte("\n")) {
			r.st.lines = append(r.st.lines, string(l))
		}
		r.st.buf.Reset()
		if over := len(r.st.lines) - r.st.max; over > 0 {
			r.st.lines = append(r.st.lines[:0], r.st.lines[over:]...)
		}
		r.st.mu.Unlock()
	}
	if r.next != nil && r.next.Enabled(ctx, rec.Level) {
		return r.next.Handle(ctx, rec)
	}
	return nil
}

func (r *Ring) WithAttrs(as []slog.Attr) slog.Handler {
	n := &Ring{st: r.st, inner: r.inner.WithAttrs(as)}
	if r.next != nil {
		n.next = r.next.WithAttrs(as)
	}
	return n
}

func (r *Ring) WithGroup(name string) slog.Handler {
	n := &Ring{st: r.st, inner: r.inner.WithGroup(name)}
	if r.next != nil {
		n.next = r.next.WithGroup(name)
	}
	return n
}

// Lines returns the kept lines, oldest first.
func (r *Ring) Lines() []string {
	r.st.mu.Lock()
	defer r.st.mu.Unlock()
	return append([]string(nil), r.st.lines...)
}
