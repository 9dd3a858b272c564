package firewall

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// pfBackend enforces a plan as the PF anchor DefaultAnchor, loaded with
// pfctl in one go (pfctl -f replaces an anchor's rules atomically). PF is
// enabled with a reference (pfctl -E), whose token is kept in the state
// directory so the reference is released at removal, also after a crash:
// PF goes back to disabled if it was.
type pfBackend struct {
	anchor string
	token  string // file holding pfctl -E's token
}

func newBackend(o Options) (backend, error) {
	if o.netnsFD != 0 {
		return nil, errors.New("firewall: network namespaces are Linux's")
	}
	anchor := o.Table
	if anchor == "" {
		anchor = DefaultAnchor
	}
	if !strings.HasPrefix(anchor, "com.apple/") || !validTable(strings.TrimPrefix(anchor, "com.apple/")) {
		return nil, fmt.Errorf("firewall: invalid PF anchor %q", anchor)
	}
	return &pfBackend{anchor: anchor, token: filepath.Join(o.StateDir, "pf-token")}, nil
}

func (b *pfBackend) describe() string { return "PF anchor " + b.anchor }

func pfctl(stdin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/sbin/pfctl", args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("pfctl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}

var tokenRE = regexp.MustCompile(`Token : (\d+)`)

func (b *pfBackend) apply(p Policy, rules []Rule) error {
	if _, err := pfctl(pfConf(p, rules, time.Now()), "-a", b.anchor, "-f", "-"); err != nil {
		return err
	}
	if _, err := os.Stat(b.token); err == nil {
		return nil // enabled by us already
	}
	out, err := pfctl("", "-E")
	if err != nil {
		return err
	}
	m := tokenRE.FindStringSubmatch(out)
	if m == nil {
		return fmt.Errorf("firewall: pfctl -E gave no token: %q", out)
	}
	return os.WriteFile(b.token, []byte(m[1]), 0o600)
}

func (b *pfBackend) remove() error {
	if _, err := pfctl("", "-a", b.anchor, "-F", "all"); err != nil {
		return err
	}
	tok, err := os.ReadFile(b.token)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	// A token from before a reboot is unknown to PF: nothing to release.
	pfctl("", "-X", strings.TrimSpace(string(tok)))
	return os.Remove(b.token)
}

func (b *pfBackend) close() error { return nil }
