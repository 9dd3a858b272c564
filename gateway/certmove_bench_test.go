package gateway

import (
	"context"
	"testing"
	"time"

	"github.com/opensvpn/svpn/certmove"
)

// BenchmarkCertMove is one whole move through the relay over HTTPS on
// loopback: open, CPace both ways, key confirmation both ways, the sealed
// files, the acknowledgement (SQLite store).
func BenchmarkCertMove(b *testing.B) {
	m := newMoveSetup(b, nil)
	dest := certmove.Removable(b.TempDir())
	for b.Loop() {
		codes, done := make(chan certmove.Code, 1), make(chan error, 1)
		go func() {
			done <- certmove.Send(context.Background(), m.relay(), certmove.SendOptions{Bundle: m.bundle, DeleteAfter: true,
				OnCode: func(c certmove.Code, _ time.Time) { codes <- c }})
		}()
		code := <-codes
		if _, err := certmove.Receive(context.Background(), m.relay(), certmove.ReceiveOptions{UserID: m.a.id, Code: code,
			Save: func(bd *certmove.Bundle) (string, error) { return bd.Install(dest) }}); err != nil {
			b.Fatal(err)
		}
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		// The join limits are for strangers, not for this loop.
		m.h.st.ReleaseSourceAttempt(context.Background(), "certmove-user:"+m.a.id, m.h.clock.Now())
		m.h.st.ReleaseSourceAttempt(context.Background(), "certmove-src:127.0.0.1", m.h.clock.Now())
	}
}
