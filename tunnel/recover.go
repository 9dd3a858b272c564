package tunnel

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/opensvpn/svpn/api"
)

// Recover undoes what an OSTunnel that did not close left behind in
// stateDir: it deletes the interface if it still exists, removes the routes,
// and restores DNS (reverts the systemd-resolved link, restores
// /etc/resolv.conf from its backup, removes the scutil key, removes
// SVPN's NRPT rules on Windows). svpnd calls it
// when it starts, so a SIGKILL or a power cut leaves nothing behind after a
// restart; NewOS calls it too. With no state file there is nothing to do.
//
// If something cannot be undone, the state file stays and the error says
// what; the next call tries again. A state file that cannot be read is
// moved aside (the error names where), so it cannot block every later
// tunnel.
func Recover(stateDir string, logger *slog.Logger) error {
	log := orDiscard(logger)
	err := recoverState(stateDir, log, newHost)
	// Windows' NRPT rules are tagged as SVPN's: whatever the state file
	// says, none may outlive the tunnel it was written for.
	if derr := cleanStaleDNS(log); derr != nil {
		log.Error("removing stale DNS rules", "err", derr)
		if err == nil {
			err = api.Errorf(api.CodeTunnelDNS, "tunnel: removing stale DNS rules: %w", derr)
		}
	}
	return err
}

// recoverState is Recover on the host openHost returns.
func recoverState(stateDir string, log *slog.Logger, openHost func(*slog.Logger) (host, error)) error {
	if stateDir == "" {
		return api.Errorf(api.CodeTunnelState, "tunnel: Recover: no state directory")
	}
	st, err := readState(stateDir)
	if err != nil {
		aside := fmt.Sprintf("%s.unreadable-%d", statePath(stateDir), time.Now().Unix())
		if rerr := os.Rename(statePath(stateDir), aside); rerr == nil {
			log.Error("unreadable tunnel state file moved aside; what it described was not undone", "path", aside, "err", err)
			// What is tagged as ours can still be put back.
			if derr := recoverUntracked(stateDir, log, openHost); derr != nil {
				log.Error("restoring resolv.conf", "err", derr)
			}
			return api.Errorf(api.CodeTunnelState, "tunnel: unreadable state file moved to %s: %w", aside, err)
		}
		return err
	}
	if st == nil {
		return recoverUntracked(stateDir, log, openHost)
	}
	log.Warn("undoing the changes of a tunnel that did not close", "interface", st.Interface, "pid", st.PID,
		"started", st.Started, "routes", len(st.Routes), "endpoint_route", st.EndpointRoute != nil, "dns_method", st.DNS.Method)
	h, err := openHost(log)
	if err != nil {
		return err
	}
	defer h.close()
	if err := undoState(h, st, nil); err != nil {
		log.Error("recovery incomplete; the state file is kept for the next attempt", "path", statePath(stateDir), "err", err)
		return err
	}
	if err := removeState(stateDir); err != nil {
		return err
	}
	log.Info("tunnel leftovers removed", "interface", st.Interface)
	return nil
}

// resolvConfBackupName is the resolv.conf backup's name in the state
// directory (Linux's fallback DNS method).
const resolvConfBackupName = "resolv.conf.backup"

// recoverUntracked puts DNS back when no state file says what to undo but
// what SVPN changed is tagged as its own: a resolv.conf backup in the state
// directory means /etc/resolv.conf was rewritten, and the rewritten file
// starts with SVPN's marker. Restoring checks that marker, so a file
// someone else wrote since is kept (and the stale backup dropped).
func recoverUntracked(stateDir string, log *slog.Logger, openHost func(*slog.Logger) (host, error)) error {
	backup := filepath.Join(stateDir, resolvConfBackupName)
	if _, err := os.Lstat(backup); err != nil {
		return nil
	}
	log.Warn("a resolv.conf backup without a tunnel state file: restoring the original where resolv.conf is still SVPN's", "backup", backup)
	h, err := openHost(log)
	if err != nil {
		return err
	}
	defer h.close()
	return h.revertDNS(dnsState{Method: dnsResolvConf, Backup: backup})
}
