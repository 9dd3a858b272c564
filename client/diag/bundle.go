package diag

import (
	"archive/zip"
	"context"
	"encoding/json"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"time"

	"github.com/opensvpn/svpn/api"
)

// Redactor removes secrets from text: the live secrets it is given (session
// token, WireGuard private key …) and anything shaped like a credential.
type Redactor struct {
	secrets []string
}

// NewRedactor returns a redactor for the given secret values.
func NewRedactor(secrets ...string) *Redactor {
	r := &Redactor{}
	for _, s := range secrets {
		if len(s) >= 4 {
			r.secrets = append(r.secrets, s)
		}
	}
	return r
}

// credentialPatterns catch secrets whose value the redactor was not told:
// "password": "…", private_key=…, Authorization: Bearer ….
var credentialPatterns = []*regexp.Regexp{
	regexp.MustCompile(`(?i)("?(?:password|new_password|old_password|session_token|change_token|private_key|token)"?\s*[:=]\s*)("[^"]*"|\S+)`),
	regexp.MustCompile(`(?i)(authorization:\s*bearer\s+)\S+`),
}

// Redact returns s without secrets.
func (r *Redactor) Redact(s string) string {
	for _, sec := range r.secrets {
		s = strings.ReplaceAll(s, sec, "[REDACTED]")
	}
	for _, p := range credentialPatterns {
		s = p.ReplaceAllString(s, "${1}[REDACTED]")
	}
	return s
}

// Command is a system command whose output goes into the bundle.
type Command struct {
	Name string // file name in the zip
	Args []string
}

// WriteBundle writes the support bundle: diagnostics.json, svpnd.log and the
// output of each command (bounded in time), all redacted.
func WriteBundle(ctx context.Context, w io.Writer, d api.Diagnostics, logs []string, cmds []Command, r *Redactor) error {
	zw := zip.NewWriter(w)
	add := func(name, content string) error {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: time.Now()})
		if err != nil {
			return err
		}
		_, err = io.WriteString(f, r.Redact(content))
		return err
	}
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	if err := add("diagnostics.json", string(b)); err != nil {
		return err
	}
	if err := add("svpnd.log", strings.Join(logs, "\n")+"\n"); err != nil {
		return err
	}
	for _, c := range cmds {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		out, err := exec.CommandContext(cctx, c.Args[0], c.Args[1:]...).CombinedOutput()
		cancel()
		text := string(out)
		if err != nil {
			text += "\n(" + strings.Join(c.Args, " ") + ": " + err.Error() + ")\n"
		}
		if err := add("system/"+c.Name, text); err != nil {
			return err
		}
	}
	return zw.Close()
}
