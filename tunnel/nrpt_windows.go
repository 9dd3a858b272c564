//go:build windows

package tunnel

import (
	"errors"
	"fmt"
	"log/slog"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
)

var (
	userenv             = windows.NewLazySystemDLL("userenv.dll")
	procRefreshPolicyEx = userenv.NewProc("RefreshPolicyEx")
)

const (
	// rpForce is RefreshPolicyEx's RP_FORCE: reapply even if nothing
	// changed.
	rpForce = 1
	// nrptConfigGenericDNS is ConfigOptions 0x8: only the generic DNS
	// server option is set ([MS-GPNRPT] 2.2.2.2).
	nrptConfigGenericDNS = 0x8
	// nrptVersion is the rule format's version ([MS-GPNRPT] 2.2.2.3).
	nrptVersion = 1
)

// writeNRPT writes (or replaces) r, then has the DNS client re-read the
// table.
func writeNRPT(r nrptRule) error {
	k, _, err := registry.CreateKey(registry.LOCAL_MACHINE, nrptKeyPath+`\`+r.Key, registry.SET_VALUE)
	if err != nil {
		return fmt.Errorf("NRPT rule %s: %w", r.Key, err)
	}
	defer k.Close()
	for _, set := range []func() error{
		// The tags first: a rule half written is still recognisably ours.
		func() error { return k.SetStringValue("Comment", nrptComment) },
		func() error { return k.SetStringValue("DisplayName", "SVPN") },
		func() error { return k.SetDWordValue("Version", nrptVersion) },
		func() error { return k.SetStringsValue("Name", r.Names) },
		func() error { return k.SetStringValue("GenericDNSServers", r.Servers) },
		func() error { return k.SetDWordValue("ConfigOptions", nrptConfigGenericDNS) },
	} {
		if err := set(); err != nil {
			return fmt.Errorf("NRPT rule %s: %w", r.Key, err)
		}
	}
	refreshNRPT()
	return nil
}

// listNRPT reads the local rules' keys and comments.
func listNRPT() ([]nrptEntry, error) {
	base, err := registry.OpenKey(registry.LOCAL_MACHINE, nrptKeyPath, registry.ENUMERATE_SUB_KEYS)
	if errors.Is(err, registry.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	defer base.Close()
	names, err := base.ReadSubKeyNames(-1)
	if err != nil {
		return nil, err
	}
	var out []nrptEntry
	for _, n := range names {
		e := nrptEntry{Key: n}
		if k, err := registry.OpenKey(base, n, registry.QUERY_VALUE); err == nil {
			e.Comment, _, _ = k.GetStringValue("Comment")
			k.Close()
		}
		out = append(out, e)
	}
	return out, nil
}

// removeNRPT deletes svpnd's rules but keep's.
func removeNRPT(keep string, log *slog.Logger) error {
	entries, err := listNRPT()
	if err != nil {
		return fmt.Errorf("reading the NRPT: %w", err)
	}
	stale := nrptStale(entries, keep)
	var errs []error
	for _, key := range stale {
		if err := registry.DeleteKey(registry.LOCAL_MACHINE, nrptKeyPath+`\`+key); err != nil && !errors.Is(err, registry.ErrNotExist) {
			errs = append(errs, fmt.Errorf("NRPT rule %s: %w", key, err))
			continue
		}
		log.Info("removed SVPN's NRPT rule", "key", key)
	}
	if len(stale) > 0 {
		refreshNRPT()
	}
	return errors.Join(errs...)
}

// refreshNRPT has the DNS client pick up the local table now (it reads it
// with the machine's policy).
func refreshNRPT() {
	if procRefreshPolicyEx.Find() == nil {
		procRefreshPolicyEx.Call(1, rpForce) // bMachine: TRUE
	}
}

// cleanStaleDNS removes what a run that did not stop left in the NRPT: no
// tunnel is up when svpnd starts.
func cleanStaleDNS(log *slog.Logger) error { return removeNRPT("", log) }
