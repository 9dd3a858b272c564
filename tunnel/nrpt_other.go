//go:build !windows

package tunnel

import "log/slog"

// cleanStaleDNS: only Windows keeps DNS settings that outlive the tunnel's
// interface without a state file entry (the NRPT); elsewhere Recover's
// state file and resolv.conf marker cover it.
func cleanStaleDNS(*slog.Logger) error { return nil }
