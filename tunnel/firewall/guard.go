package firewall

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// DefaultTable is the nftables table (family inet) svpnd owns on Linux,
// and the name of its WFP sublayer on Windows.
const DefaultTable = "svpn_guard"

// stateFileName is the file, in Options.StateDir, that says what rule set
// is in force. It exists exactly while one is.
const stateFileName = "firewall-state.json"

const stateVersion = 1

// state is the content of the state file.
type state struct {
	Version int       `json:"version"`
	Policy  Policy    `json:"policy"`
	Owner   string    `json:"owner,omitempty"` // the local user whose session put the kill switch on
	Since   time.Time `json:"since"`
}

// backend is what an OS contributes: applying a plan, all at once, and
// removing it. Both are idempotent.
type backend interface {
	apply(p Policy, rules []Rule) error
	remove() error
	describe() string
	close() error
}

// Options say where a Guard keeps its state and what it may touch.
type Options struct {
	// StateDir holds the state file (svpnd's state directory). Required.
	StateDir string
	// Table is the name of the nftables table (Linux), PF anchor (macOS)
	// or the WFP sublayer's name (Windows); default DefaultTable.
	Table  string
	Logger *slog.Logger

	netnsFD int // Linux tests: the network namespace to work in
}

// Guard is the firewall of one svpnd. Its methods are safe for concurrent
// use.
type Guard struct {
	dir string
	log *slog.Logger
	b   backend

	mu  sync.Mutex
	cur *state // nil: no rule set in force
}

// Open starts the guard and settles what a previous run left: a kill
// switch stays in force (re-applied, e.g. after a reboot: it lasts until
// the user logs out); anything else a crashed run left (the IPv6 block,
// the MSS clamp of a tunnel that is gone) is removed.
func Open(o Options) (*Guard, error) {
	if o.StateDir == "" {
		return nil, errors.New("firewall: no state directory")
	}
	b, err := newBackend(o)
	if err != nil {
		return nil, err
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	g := &Guard{dir: o.StateDir, log: log.With("component", "firewall"), b: b}
	st, err := g.readState()
	if err != nil {
		// Unreadable: what is in force cannot be told, so it stays (fail
		// closed) and counts as a kill switch, which the next logout
		// removes with the state file.
		g.log.Error("firewall state unreadable; leaving the rule set as it is until logout", "err", err)
		g.cur = &state{Version: stateVersion, Policy: Policy{KillSwitch: true}, Since: time.Now().UTC()}
		return g, nil
	}
	if st == nil {
		return g, nil
	}
	if st.Policy.KillSwitch {
		// The tunnel is gone with the process that made it: keep blocking,
		// but nothing goes to an interface that no longer exists.
		st.Policy.Interface, st.Policy.MTU = "", 0
		if err := g.b.apply(st.Policy, Plan(st.Policy)); err != nil {
			return nil, err
		}
		if err := g.writeState(st); err != nil {
			return nil, err
		}
		g.cur = st
		g.log.Warn("kill switch kept from the previous run: only the gateway is reachable until the user logs in or out", "owner", st.Owner, "since", st.Since)
		return g, nil
	}
	if err := g.b.remove(); err != nil {
		return nil, err
	}
	if err := g.removeState(); err != nil {
		return nil, err
	}
	g.log.Info("removed the firewall rules of a run that did not stop", "rules", g.b.describe())
	return g, nil
}

// Apply puts the rules for p in force, replacing the previous ones at
// once; owner is the local user the kill switch belongs to. An inactive p
// is Release.
func (g *Guard) Apply(p Policy, owner string) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if !p.Active() {
		return g.Release()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	st := &state{Version: stateVersion, Policy: p, Owner: owner, Since: time.Now().UTC()}
	if g.cur != nil {
		st.Since = g.cur.Since
	}
	// The state file first: a crash between the two leaves a file that
	// describes rules that may not be there, which removing handles.
	if err := g.writeState(st); err != nil {
		return err
	}
	if err := g.b.apply(p, Plan(p)); err != nil {
		if g.cur != nil {
			g.writeState(g.cur) // the old rules are still in force
		} else {
			g.removeState()
		}
		return err
	}
	g.cur = st
	g.log.Info("firewall rules in force", "kill_switch", p.KillSwitch, "block_ipv6", p.BlockIPv6, "interface", p.Interface,
		"endpoints", len(p.Endpoints), "lan", p.LAN, "exempt_until", p.ExemptUntil, "rules", g.b.describe())
	return nil
}

// Release removes every rule: the machine is as before the session.
func (g *Guard) Release() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.b.remove(); err != nil {
		return err
	}
	if err := g.removeState(); err != nil {
		return err
	}
	if g.cur != nil {
		g.log.Info("firewall rules removed", "kill_switch_was", g.cur.Policy.KillSwitch)
	}
	g.cur = nil
	return nil
}

// Policy returns the policy in force and its owner; ok is false when none
// is.
func (g *Guard) Policy() (p Policy, owner string, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cur == nil {
		return Policy{}, "", false
	}
	return g.cur.Policy, g.cur.Owner, true
}

// KillSwitch reports whether the kill switch is in force.
func (g *Guard) KillSwitch() bool {
	p, _, ok := g.Policy()
	return ok && p.KillSwitch
}

// Close releases the guard's own resources; the rules stay as they are.
func (g *Guard) Close() error { return g.b.close() }

func (g *Guard) statePath() string { return filepath.Join(g.dir, stateFileName) }

func (g *Guard) readState() (*state, error) {
	b, err := os.ReadFile(g.statePath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	st := new(state)
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("firewall: state file %s is corrupt: %w", g.statePath(), err)
	}
	if st.Version != stateVersion {
		return nil, fmt.Errorf("firewall: state file %s has version %d, want %d", g.statePath(), st.Version, stateVersion)
	}
	if err := st.Policy.Validate(); err != nil {
		return nil, err
	}
	return st, nil
}

func (g *Guard) writeState(st *state) error {
	b, err := json.MarshalIndent(st, "", "\t")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(g.dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(g.dir, "."+stateFileName+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, g.statePath())
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("firewall: writing state: %w", err)
	}
	return nil
}

func (g *Guard) removeState() error {
	if err := os.Remove(g.statePath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("firewall: removing state: %w", err)
	}
	return nil
}

// validTable: letters, digits, '_' and '-', at most 64 bytes.
func validTable(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
