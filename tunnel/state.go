package tunnel

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/opensvpn/svpn/api"
)

// stateFileName is the file, in OSOptions.StateDir, that describes what an
// OSTunnel changed on the machine. It exists exactly while there is
// something to undo.
const stateFileName = "tunnel-state.json"

const stateVersion = 1

// state is the content of the state file: everything Close, and after a
// crash Recover, must undo. It is written before each change is made, so it
// may list things that were never done; undoing them is a no-op.
type state struct {
	Version   int          `json:"version"`
	PID       int          `json:"pid"` // of the process that made the changes, for the log
	Started   time.Time    `json:"started"`
	Interface string       `json:"interface"`
	Address   netip.Prefix `json:"address"`
	// Routes go through Interface.
	Routes []route `json:"routes"`
	// EndpointRoute pins the gateway's endpoint to the route it had before
	// the tunnel came up, because a pushed route covers it; nil when none
	// does.
	EndpointRoute *route   `json:"endpoint_route,omitempty"`
	DNS           dnsState `json:"dns"`
}

func statePath(dir string) string { return filepath.Join(dir, stateFileName) }

// writeState replaces the state file atomically (write, sync, rename), so a
// crash leaves the old or the new content, never half of one.
func writeState(dir string, st *state) error {
	b, err := json.MarshalIndent(st, "", "\t")
	if err != nil {
		return api.Errorf(api.CodeTunnelState, "tunnel: encoding state: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return api.Errorf(api.CodeTunnelState, "tunnel: creating state directory: %w", err)
	}
	if err := writeFileAtomic(statePath(dir), append(b, '\n'), 0o600); err != nil {
		return api.Errorf(api.CodeTunnelState, "tunnel: writing state file: %w", err)
	}
	return nil
}

// readState reads the state file; nil, nil when there is none.
func readState(dir string) (*state, error) {
	b, err := os.ReadFile(statePath(dir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, api.Errorf(api.CodeTunnelState, "tunnel: reading state file: %w", err)
	}
	st := new(state)
	if err := json.Unmarshal(b, st); err != nil {
		return nil, api.Errorf(api.CodeTunnelState, "tunnel: state file %s is corrupt: %w", statePath(dir), err)
	}
	if st.Version != stateVersion {
		return nil, api.Errorf(api.CodeTunnelState, "tunnel: state file %s has version %d, want %d", statePath(dir), st.Version, stateVersion)
	}
	return st, nil
}

func removeState(dir string) error {
	if err := os.Remove(statePath(dir)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return api.Errorf(api.CodeTunnelState, "tunnel: removing state file: %w", err)
	}
	return nil
}

// writeFileAtomic writes data to a temporary file next to name and renames
// it over name.
func writeFileAtomic(name string, data []byte, perm fs.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}
