package store

import (
	"errors"
	"fmt"
	"net/netip"
)

// Errors callers test for with errors.Is.
var (
	ErrNotFound      = errors.New("store: not found")
	ErrExists        = errors.New("store: already exists")
	ErrInvalid       = errors.New("store: invalid argument")
	ErrPoolExhausted = errors.New("store: address pool exhausted")
	// ErrSchemaTooNew means the database was migrated by a newer gateway
	// than this one; running against it could misread or damage data.
	ErrSchemaTooNew = errors.New("store: database schema is newer than this program")
	// ErrInsecurePermissions means a SQLite database file (or its -wal,
	// -shm or -journal file) is accessible to group or others, or its
	// directory is writable by every user. The error names the path and
	// the command that fixes it.
	ErrInsecurePermissions = errors.New("store: database file permissions are too open")
)

// PoolExhaustedError is returned by AcquireLease when every usable address
// of the pool is held by a live session. It matches ErrPoolExhausted.
type PoolExhaustedError struct {
	Pool netip.Prefix
}

func (e *PoolExhaustedError) Error() string {
	return fmt.Sprintf("store: address pool %s exhausted", e.Pool)
}

func (e *PoolExhaustedError) Is(target error) bool { return target == ErrPoolExhausted }
