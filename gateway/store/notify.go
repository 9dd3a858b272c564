package store

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgxlisten"
)

// ErrNoNotifications is ListenSessions' answer on SQLite, which has one node
// and nobody to tell.
var ErrNoNotifications = errors.New("store: the backend has no notifications")

// SessionChange is a notification that a session ended, or moved to Node.
type SessionChange struct {
	SessionID string
	Node      string // the node holding it now (for an ended session, the last one)
}

// ListenSessions calls changed for every session that ends or moves to
// another node, on any node, as soon as the change commits (PostgreSQL
// LISTEN/NOTIFY, channel svpn_session, sent by a trigger). It reconnects when
// the connection drops and calls resync after each (re)connection, since
// notifications sent while it was away are lost. It returns when ctx ends.
func (s *Store) ListenSessions(ctx context.Context, changed func(SessionChange), resync func(), logError func(error)) error {
	if s.backend != Postgres {
		return ErrNoNotifications
	}
	l := &pgxlisten.Listener{
		Connect: func(ctx context.Context) (*pgx.Conn, error) {
			ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			return pgx.Connect(ctx, s.pgDSN)
		},
		LogError: func(_ context.Context, err error) {
			if logError != nil && ctx.Err() == nil {
				logError(err)
			}
		},
		ReconnectDelay: time.Second,
	}
	l.Handle("svpn_session", sessionHandler{changed: changed, resync: resync})
	return l.Listen(ctx)
}

type sessionHandler struct {
	changed func(SessionChange)
	resync  func()
}

func (h sessionHandler) HandleNotification(_ context.Context, n *pgconn.Notification, _ *pgx.Conn) error {
	id, node, _ := strings.Cut(n.Payload, " ")
	h.changed(SessionChange{SessionID: id, Node: node})
	return nil
}

// HandleBacklog runs once LISTEN is in place on each (re)connection.
func (h sessionHandler) HandleBacklog(context.Context, string, *pgx.Conn) error {
	if h.resync != nil {
		h.resync()
	}
	return nil
}
