package tunnel

import (
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/opensvpn/svpn/api"
)

// Recover undoes what an OSTunnel that did not close left behind in
// stateDir: it deletes the interface if it still exists, removes the routes,
// and restores DNS (reverts the systemd-resolved link, restores
// /etc/resolv.conf from its backup, removes the scutil key). svpnd calls it
// when it starts, so a SIGKILL or a power cut leaves nothing behind after a
// restart; NewOS calls it too. With no state file there is nothing to do.
//
// If something cannot be undone, the state file stays and the error says
// what; the next call tries again. A state file that cannot be read is
// moved aside (the error names where), so it cannot block every later
// tunnel.
func Recover(stateDir string, logger *slog.Logger) error {
	return recoverState(stateDir, orDiscard(logger), newHost)
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
			return api.Errorf(api.CodeTunnelState, "tunnel: unreadable state file moved to %s: %w", aside, err)
		}
		return err
	}
	if st == nil {
		return nil
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
