package store

import (
	"database/sql"
	"errors"
	"os"
	"runtime"

	"github.com/opensvpn/svpn/internal/pgserver"
)

// startPostgres starts a throwaway PostgreSQL server (internal/pgserver,
// the one the cluster tests and the demo use) in a new temporary
// directory. It returns a skip message where there is none to start.
func startPostgres() (*pgServer, string, error) {
	if runtime.GOOS != "linux" {
		return nil, "a throwaway PostgreSQL server is only started on Linux; set SVPN_TEST_POSTGRES_DSN", nil
	}
	dir, err := os.MkdirTemp("", "svpn-pg-")
	if err != nil {
		return nil, "", err
	}
	srv, err := pgserver.Start(pgserver.Options{Dir: dir})
	if err != nil {
		os.RemoveAll(dir)
		if errors.Is(err, pgserver.ErrNoBinaries) {
			return nil, err.Error(), nil
		}
		return nil, "", err
	}
	s := &pgServer{srv: srv, dir: dir, base: srv.DSN()}
	if s.admin, err = sql.Open("pgx", s.base); err != nil {
		s.stop()
		return nil, "", err
	}
	return s, "", nil
}

// stop shuts a server this process started down and removes its
// directory.
func (s *pgServer) stop() {
	if s.admin != nil {
		s.admin.Close()
	}
	if s.srv != nil {
		s.srv.Stop()
		os.RemoveAll(s.dir)
	}
}
