package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"
)

// startPostgres starts a throwaway PostgreSQL server from the distribution's
// binaries, listening only on a unix socket in a new temporary directory. As
// root it runs the server as the postgres user, since PostgreSQL refuses to
// run as root. It returns a skip message when there are no binaries.
func startPostgres() (srv *pgServer, skip string, err error) {
	bin := pgBinDir()
	if bin == "" {
		return nil, "PostgreSQL server binaries not found; run `make deps` (Debian: apt-get install postgresql) or set SVPN_TEST_POSTGRES_DSN", nil
	}
	dir, err := os.MkdirTemp("", "svpn-pg-")
	if err != nil {
		return nil, "", err
	}
	srv = &pgServer{dir: dir}
	defer func() {
		if err != nil {
			srv.stop()
		}
	}()

	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, "running as root and there is no postgres user to run the server as", nil
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, "", err
		}
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	command := func(name string, args ...string) *exec.Cmd {
		cmd := exec.Command(filepath.Join(bin, name), args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
		// Kill the server if the test binary dies without cleaning up.
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
		return cmd
	}

	data := filepath.Join(dir, "data")
	if out, err := command("initdb", "-D", data, "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--locale=C", "--no-sync").CombinedOutput(); err != nil {
		return nil, "", fmt.Errorf("initdb: %v\n%s", err, out)
	}
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, "", err
	}
	defer logf.Close()
	srv.cmd = command("postgres", "-D", data, "-k", dir, "-c", "listen_addresses=",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=300", "-c", "shared_buffers=32MB")
	srv.cmd.Stdout, srv.cmd.Stderr = logf, logf
	if err := srv.cmd.Start(); err != nil {
		return nil, "", fmt.Errorf("starting postgres: %w", err)
	}
	srv.exited = make(chan struct{})
	go func() { srv.cmd.Wait(); close(srv.exited) }()

	srv.base = "postgres:///postgres?host=" + dir + "&user=postgres&sslmode=disable"
	srv.admin, err = sql.Open("pgx", srv.base)
	if err != nil {
		return nil, "", err
	}
	// Ready in well under a second normally; give a slow CI box 30 s.
	for i := 0; ; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err = srv.admin.PingContext(ctx)
		cancel()
		if err == nil {
			return srv, "", nil
		}
		select {
		case <-srv.exited:
			log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
			return nil, "", fmt.Errorf("postgres exited during start-up: %s", log)
		case <-time.After(100 * time.Millisecond):
		}
		if i == 300 {
			return nil, "", fmt.Errorf("postgres not ready after 30 s: %w", err)
		}
	}
}

// stop shuts the server down (fast shutdown) and removes its directory.
func (s *pgServer) stop() {
	if s.admin != nil {
		s.admin.Close()
	}
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.exited:
		case <-time.After(10 * time.Second):
			s.cmd.Process.Kill()
			<-s.exited
		}
	}
	os.RemoveAll(s.dir)
}

// pgBinDir finds initdb and postgres: $SVPN_PG_BIN, then the newest Debian
// /usr/lib/postgresql/<version>/bin, then $PATH.
func pgBinDir() string {
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
	sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) > pgVersion(dirs[j]) })
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

func pgVersion(binDir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	return v
}
