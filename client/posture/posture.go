// Package posture reports the security state of the device to the gateway:
// which antivirus products are installed, whether they run and whether
// their definitions are current (api.Posture), and what the machine is
// (api.Device) for the audit log and the helpdesk.
//
// Every probe is best effort and bounded in time: a login must never hang
// because a security product's management tool is slow, and a product the
// client cannot see is simply not reported (the gateway then decides, with
// the policy's install link for the user). The platform-specific work sits
// behind two functions implemented per OS: collect and osVersion.
package posture

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/opensvpn/svpn/api"
)

// Collect reports the antivirus products of this machine. It never fails:
// probes that cannot run (no permission, tool missing, timeout) contribute
// nothing. The result's Antivirus is never nil, so the JSON is [] rather
// than null. ctx bounds the whole collection; every external command is
// additionally bounded by its own timeout.
func Collect(ctx context.Context) api.Posture {
	return api.Posture{Antivirus: normalize(collect(ctx))}
}

// DeviceInfo describes this machine for the gateway's audit log and the
// helpdesk. Missing facts are left empty rather than failing a login. It
// reads files or the registry, except on macOS where it runs sw_vers,
// bounded to a few seconds.
func DeviceInfo(clientVersion string) api.Device {
	host, _ := os.Hostname()
	return api.Device{
		Hostname:      host,
		OS:            runtime.GOOS,
		OSVersion:     osVersion(),
		ClientVersion: clientVersion,
	}
}

// normalize drops exact duplicates (Windows Security Center keeps stale
// registrations, a process scan can see a product twice) and trims names,
// keeping the first-seen order so the report reads like the source.
func normalize(in []api.Antivirus) []api.Antivirus {
	out := make([]api.Antivirus, 0, len(in))
	for _, av := range in {
		av.Name = strings.TrimSpace(av.Name)
		if av.Name == "" || slices.Contains(out, av) {
			continue
		}
		out = append(out, av)
	}
	return out
}

// commandWaitDelay bounds how long a command's I/O may outlive its kill: a
// tool that leaves a grandchild holding stdout must not hold us too.
const commandWaitDelay = 2 * time.Second

// commandOutput runs name with args and returns its standard output. The
// command is killed after timeout (or when ctx ends), so a hung management
// tool costs at most timeout. setup, when not nil, adjusts the command
// before it starts (e.g. hiding the console window on Windows).
func commandOutput(ctx context.Context, timeout time.Duration, setup func(*exec.Cmd), name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = commandWaitDelay
	if setup != nil {
		setup(cmd)
	}
	out, err := cmd.Output()
	if ctx.Err() != nil {
		return out, ctx.Err()
	}
	return out, err
}
