package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/opensvpn/svpn/api"
)

// maxUnreported bounds the events kept for the gateway: a user who opens
// exemptions offline for weeks does not grow the file without end (the
// oldest go, and the log says so). The gateway takes no more from a
// session.
const maxUnreported = api.MaxSessionEvents

// reportTimeout bounds one report to the gateway.
const reportTimeout = 10 * time.Second

// recordEvent keeps ev for the gateway's audit log: in memory, in
// Options.EventsFile (so a crash or restart before the gateway is reachable
// loses nothing), and asks a live session to report it now.
func (e *Engine) recordEvent(ev api.SessionEvent) {
	var b [8]byte
	rand.Read(b[:])
	ev.ID = hex.EncodeToString(b[:])
	e.mu.Lock()
	e.unreported = append(e.unreported, ev)
	if n := len(e.unreported) - maxUnreported; n > 0 {
		e.log.Warn("audit: dropping unreported events, the gateway was out of reach too long", "dropped", n)
		e.unreported = slices.Delete(e.unreported, 0, n)
	}
	e.saveEventsLocked()
	s := e.sess
	e.mu.Unlock()
	if s != nil {
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
}

// reportEvents hands the unreported events to the gateway over the
// session token's session. An event the gateway refuses as malformed (or
// too old) is dropped with a log line: resending it cannot succeed. Any
// other failure keeps it for the next heartbeat.
func (e *Engine) reportEvents(ctx context.Context, token string) {
	e.mu.Lock()
	evs := slices.Clone(e.unreported)
	e.mu.Unlock()
	for _, ev := range evs {
		rctx, cancel := context.WithTimeout(ctx, reportTimeout)
		err := e.o.Gateway.ReportEvent(rctx, token, ev)
		cancel()
		if err != nil && api.CodeOf(err) != api.CodeBadRequest {
			e.log.Info("audit: the gateway did not take the event yet", "event", ev, "err", err)
			return
		}
		if err != nil {
			e.log.Error("audit: the gateway refused the event; dropped", "event", ev, "err", err)
		} else {
			e.log.Info("audit: event reported to the gateway", "event", ev)
		}
		e.mu.Lock()
		e.unreported = slices.DeleteFunc(e.unreported, func(x api.SessionEvent) bool { return x.ID == ev.ID })
		e.saveEventsLocked()
		e.mu.Unlock()
	}
}

// Unreported returns the events the gateway has not taken yet.
func (e *Engine) Unreported() []api.SessionEvent {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.unreported)
}

func (e *Engine) saveEventsLocked() {
	path := e.o.EventsFile
	if path == "" {
		return
	}
	if len(e.unreported) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			e.log.Error("audit: removing the reported events' file", "err", err)
		}
		return
	}
	b, err := json.Marshal(e.unreported)
	if err == nil {
		tmp := path + ".tmp"
		if err = os.WriteFile(tmp, b, 0o600); err == nil {
			err = os.Rename(tmp, path)
		}
	}
	if err != nil {
		e.log.Error("audit: keeping the unreported events", "file", path, "err", err)
	}
}

// loadEvents reads the events an earlier run could not report. A file
// that does not parse is set aside (not lost) and the log says so.
func loadEvents(path string) ([]api.SessionEvent, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var evs []api.SessionEvent
	if err := json.Unmarshal(b, &evs); err != nil {
		bad := path + ".bad"
		os.Rename(path, bad)
		return nil, errors.New("unreadable unreported events, kept as " + filepath.Base(bad) + ": " + err.Error())
	}
	return evs, nil
}
