// Package pgserver runs a private PostgreSQL server from the distribution's
// binaries: the throwaway server of the store and cluster tests, and the one
// `svpn-gateway demo --nodes N` starts in its directory.
package pgserver

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
)

// ErrNoBinaries means initdb and postgres were not found.
var ErrNoBinaries = errors.New("PostgreSQL server binaries not found; run `make deps` (Debian: apt-get install postgresql) or set SVPN_PG_BIN")

// Options say where a server keeps its data and listens.
type Options struct {
	// Dir holds the data directory (Dir/data), the unix socket and the log
	// (Dir/server.log). It is created if missing.
	Dir string
	// Port names the unix socket (.s.PGSQL.<Port>; default 5432) and,
	// with TCP, the loopback port.
	Port int
	// TCP makes the server listen on 127.0.0.1:Port as well as on the
	// socket. Authentication is "trust": any local user could connect, so
	// only tests that need TCP use it; the socket's directory is private.
	TCP bool
	// Durable keeps fsync on: the demo's data survives a crash of the
	// machine; tests turn it off for speed.
	Durable bool
	// MaxConnections defaults to 300.
	MaxConnections int
}

// BinDir finds initdb and postgres: $SVPN_PG_BIN, then the newest Debian
// /usr/lib/postgresql/<version>/bin, then $PATH. It returns "" if none.
func BinDir() string {
	has := func(dir string) bool {
		for _, name := range []string{"initdb", "postgres"} {
			if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.IsDir() {
				return false
			}
		}
		return true
	}
	if d := os.Getenv("SVPN_PG_BIN"); d != "" && has(d) {
		return d
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if has(d) {
			return d
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil && has(filepath.Dir(p)) {
		return filepath.Dir(p)
	}
	return ""
}

func version(binDir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	return v
}
