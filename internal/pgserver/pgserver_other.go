//go:build !linux

package pgserver

import (
	"context"
	"errors"
)

// Server is a running PostgreSQL server; only started on Linux.
type Server struct{}

// Start runs a private server only on Linux.
func Start(Options) (*Server, error) {
	return nil, errors.New("a private PostgreSQL server is only started on Linux")
}

func (s *Server) DSN() string    { return "" }
func (s *Server) TCPDSN() string { return "" }
func (s *Server) Dir() string    { return "" }
func (s *Server) PID() int       { return 0 }
func (s *Server) Stop()          {}
func (s *Server) Restart() error { return errors.New("not supported") }

func (s *Server) KeepRunning(context.Context, func(error)) {}
