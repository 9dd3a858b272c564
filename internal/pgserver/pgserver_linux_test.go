package pgserver_test

import (
	"context"
	"database/sql"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/opensvpn/svpn/internal/pgserver"
	"github.com/opensvpn/svpn/internal/pgserver/pgtest"
)

// A server shut down under KeepRunning (an operator's fast shutdown) is
// started again on the same socket and data; once KeepRunning has returned,
// Stop stops it for good.
func TestKeepRunningRestarts(t *testing.T) {
	s := pgtest.Private(t, pgserver.Options{})
	db, err := sql.Open("pgx", s.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE kept (v int); INSERT INTO kept VALUES (7)"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	restarts := make(chan error, 4)
	var wg sync.WaitGroup
	wg.Go(func() { s.KeepRunning(ctx, func(err error) { restarts <- err }) })
	defer wg.Wait()
	defer cancel()

	old := s.PID()
	if err := syscall.Kill(old, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-restarts:
		if err != nil {
			t.Fatalf("restart: %v", err)
		}
	case <-time.After(45 * time.Second):
		t.Fatal("the server was not started again")
	}
	if s.PID() == old {
		t.Errorf("still pid %d", old)
	}
	var v int
	if err := db.QueryRow("SELECT v FROM kept").Scan(&v); err != nil || v != 7 {
		t.Fatalf("after the restart: %v %d", err, v)
	}

	cancel()
	wg.Wait()
	s.Stop()
	if err := db.Ping(); err == nil {
		t.Error("the server runs after Stop")
	}
	select {
	case err := <-restarts:
		t.Errorf("restarted after KeepRunning returned: %v", err)
	default:
	}
}
