package pgserver

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
)

// Server is a running PostgreSQL server.
type Server struct {
	opts   Options
	bin    string
	cred   *syscall.Credential
	cmd    *exec.Cmd
	exited chan struct{}
}

// Start initialises Dir/data if it is not a cluster yet and starts the
// server, waiting until it accepts connections. As root it runs the server
// as the postgres user, since PostgreSQL refuses to run as root.
func Start(o Options) (*Server, error) {
	bin := BinDir()
	if bin == "" {
		return nil, ErrNoBinaries
	}
	if o.MaxConnections == 0 {
		o.MaxConnections = 300
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, err
	}
	o.Dir = dir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	s := &Server{opts: o, bin: bin}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, errors.New("running as root and there is no postgres user to run the server as")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "PG_VERSION")); err != nil {
		args := []string{"-D", filepath.Join(dir, "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C"}
		if !o.Durable {
			args = append(args, "--no-sync")
		}
		if out, err := s.command("initdb", args...).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("initdb: %v\n%s", err, out)
		}
	}
	if err := s.start(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Server) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.opts.Dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	// Kill the server if the process that started it dies without
	// stopping it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred, Pdeathsig: syscall.SIGKILL}
	return cmd
}

func (s *Server) start() error {
	listen := ""
	if s.opts.TCP && s.opts.Port != 0 {
		listen = "127.0.0.1"
	}
	args := []string{"-D", filepath.Join(s.opts.Dir, "data"), "-k", s.opts.Dir, "-c", "listen_addresses=" + listen,
		"-c", "max_connections=" + strconv.Itoa(s.opts.MaxConnections), "-c", "shared_buffers=32MB"}
	if s.opts.Port != 0 {
		args = append(args, "-p", strconv.Itoa(s.opts.Port))
	}
	if !s.opts.Durable {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	logf, err := os.OpenFile(filepath.Join(s.opts.Dir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	if s.cred != nil {
		os.Chown(logf.Name(), int(s.cred.Uid), int(s.cred.Gid))
	}
	s.cmd = s.command("postgres", args...)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("starting postgres: %w", err)
	}
	exited := make(chan struct{})
	s.exited = exited
	cmd := s.cmd
	go func() { cmd.Wait(); close(exited) }()

	db, err := sql.Open("pgx", s.DSN())
	if err != nil {
		s.Stop()
		return err
	}
	defer db.Close()
	// Ready in well under a second normally; give a slow CI box 30 s.
	for i := 0; ; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err = db.PingContext(ctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(filepath.Join(s.opts.Dir, "server.log"))
			return fmt.Errorf("postgres exited during start-up: %s", log)
		case <-time.After(100 * time.Millisecond):
		}
		if i == 300 {
			s.Stop()
			return fmt.Errorf("postgres not ready after 30 s: %w", err)
		}
	}
}

// DSN is the server's postgres database over the unix socket.
func (s *Server) DSN() string {
	dsn := "postgres:///postgres?host=" + s.opts.Dir + "&user=postgres&sslmode=disable"
	if s.opts.Port != 0 {
		dsn += "&port=" + strconv.Itoa(s.opts.Port)
	}
	return dsn
}

// TCPDSN is the server's postgres database over 127.0.0.1:Port, or "".
func (s *Server) TCPDSN() string {
	if !s.opts.TCP || s.opts.Port == 0 {
		return ""
	}
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.opts.Port)
}

// Dir is where the server keeps its data, socket and log.
func (s *Server) Dir() string { return s.opts.Dir }

// PID is the postmaster's process ID.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Stop shuts the server down (fast shutdown: sessions are disconnected,
// committed data kept). The directory stays.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
}

// KeepRunning starts the server again whenever it exits without Stop
// (killed, crashed, or shut down by an operator), as a service manager
// would, until ctx ends; restarted learns each attempt's outcome. Failed
// starts are retried after 1 s, doubling up to 30 s. Call Stop only after
// KeepRunning has returned: they share the server's process.
func (s *Server) KeepRunning(ctx context.Context, restarted func(error)) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.exited:
		}
		for delay := time.Second; ; delay = min(2*delay, 30*time.Second) {
			select {
			case <-ctx.Done():
				return
			case <-time.After(delay):
			}
			err := s.start()
			restarted(err)
			if err == nil {
				break
			}
		}
	}
}

// Restart stops the server and starts it again on the same data, port and
// socket: what an operator's restart does to the gateways using it.
func (s *Server) Restart() error {
	s.Stop()
	return s.start()
}
