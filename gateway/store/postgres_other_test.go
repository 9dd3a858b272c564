//go:build !linux

package store

// startPostgres runs a local server only on Linux; elsewhere set
// SVPN_TEST_POSTGRES_DSN to test against a server of your own.
func startPostgres() (*pgServer, string, error) {
	return nil, "throwaway PostgreSQL server is only started on Linux; set SVPN_TEST_POSTGRES_DSN", nil
}

func (s *pgServer) stop() {}
