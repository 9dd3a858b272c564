package ui

import (
	"context"
	"io"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/local"
)

// Daemon is what the app asks svpnd, the single source of truth for the
// connection: *local.Client in the app, a fake in some unit tests.
type Daemon interface {
	Status(ctx context.Context) (api.Status, error)
	Watch(ctx context.Context, f func(api.Status)) error
	LoginBegin(ctx context.Context, userID string) (*api.LoginBeginResponse, error)
	LoginFinish(ctx context.Context, req *api.LoginFinishRequest) (api.Status, error)
	Logout(ctx context.Context) (api.Status, error)
	ChangePassword(ctx context.Context, req *api.LocalPasswordRequest) error
	Profile(ctx context.Context) (*api.ProfileInfo, error)
	Diagnostics(ctx context.Context) (*api.Diagnostics, error)
	Bundle(ctx context.Context, w io.Writer) error
}

var _ Daemon = (*local.Client)(nil)

// Backoff bounds of WatchDaemon's reconnection to svpnd.
const (
	watchRetryMin = 250 * time.Millisecond
	watchRetryMax = 5 * time.Second
)

// WatchDaemon follows svpnd's status stream until ctx ends: onStatus gets
// every status (the current one first, after each reconnection too);
// onDown gets the error each time svpnd is unreachable or goes away, and
// the stream is retried with exponential backoff (250 ms … 5 s), reset as
// soon as a status arrives. Front ends never poll the status.
func WatchDaemon(ctx context.Context, d Daemon, onStatus func(api.Status), onDown func(error)) {
	wait := watchRetryMin
	for ctx.Err() == nil {
		err := d.Watch(ctx, func(st api.Status) {
			wait = watchRetryMin
			onStatus(st)
		})
		if ctx.Err() != nil {
			return
		}
		onDown(err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, watchRetryMax)
	}
}
