package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/gateway"
	"github.com/opensvpn/svpn/gateway/password"
	"github.com/opensvpn/svpn/gateway/store"
	"github.com/opensvpn/svpn/internal/textable"
)

// openStore opens the store named by a config file, for admin commands.
func openStore(ctx context.Context, cfgPath string) (*store.Store, *gateway.Config, error) {
	cfg, err := gateway.LoadConfig(cfgPath)
	if err != nil {
		return nil, nil, err
	}
	st, err := store.Open(ctx, cfg.Store)
	if err != nil {
		return nil, nil, err
	}
	return st, cfg, nil
}

// subcommand splits "SUB ARGS…" of a command group, or says which
// subcommands there are.
func subcommand(group, subs string, args []string) (string, []string, error) {
	if len(args) == 0 {
		return "", nil, usagef("%s: %s", group, subs)
	}
	return args[0], args[1:], nil
}

// withStore finishes an administration command: it adds --config to fs,
// parses args, runs check on the parsed flags (usage errors), opens the
// configured store and runs run with it.
func (c *cli) withStore(ctx context.Context, fs *flag.FlagSet, args []string, check func() error,
	run func(*store.Store, *gateway.Config) error) error {
	cfgPath := fs.String("config", defaultConfig, "config `file`")
	if err := parse(fs, args); err != nil {
		return err
	}
	if check != nil {
		if err := check(); err != nil {
			return err
		}
	}
	st, cfg, err := openStore(ctx, *cfgPath)
	if err != nil {
		return err
	}
	defer st.Close()
	return run(st, cfg)
}

func (c *cli) user(ctx context.Context, args []string) error {
	sub, args, err := subcommand("user", "add|list|show|lock|unlock|reset-password|bind-cert|set-identity|delete", args)
	if err != nil {
		return err
	}
	fs := c.flags("user " + sub)
	id := fs.String("id", "", "user `ID`")
	var name, group, certPath, serial, issuer, reason, idn *string
	var pwStdin *bool
	switch sub {
	case "add":
		name = fs.String("name", "", "display `name`")
		group = fs.String("group", "default", "`group` (routes, DNS, portal)")
		certPath = fs.String("cert", "", "register this certificate (signCert.der, PEM or DER)")
		pwStdin = fs.Bool("password-stdin", false, "read the initial password from standard input (default: generate one)")
		idn = fs.String("identity-number", "", "resident/identity `number` (13 digits) the first-login binding checks the certificate's VID against; not with --cert")
	case "reset-password":
		pwStdin = fs.Bool("password-stdin", false, "read the new initial password from standard input (default: generate one)")
	case "bind-cert":
		certPath = fs.String("cert", "", "the user's certificate file (records subject, serial and issuer)")
		serial = fs.String("serial", "", "or: the certificate serial (hex), with --issuer")
		issuer = fs.String("issuer", "", "issuer `DN` of the certificate given by --serial, as `cert list` shows issuers")
	case "set-identity":
		idn = fs.String("identity-number", "", "resident/identity `number` (13 digits, dashes allowed); empty (--identity-number=) removes it")
	case "lock":
		reason = fs.String("reason", "locked by an administrator", "why")
	case "list", "show", "unlock", "delete":
	default:
		return usagef("user: unknown command %q", sub)
	}
	check := func() error {
		if sub != "list" && *id == "" {
			return usagef("user %s: --id is required", sub)
		}
		return checkUserFlags(fs, sub, certPath, serial, issuer, idn)
	}
	return c.withStore(ctx, fs, args, check, func(st *store.Store, cfg *gateway.Config) error {
		return c.userRun(ctx, st, cfg, sub, *id, userFlags{name, group, certPath, serial, issuer, reason, idn, pwStdin})
	})
}

// checkUserFlags finds the usage errors of the certificate and identity
// number flags before the store is opened.
func checkUserFlags(fs *flag.FlagSet, sub string, certPath, serial, issuer, idn *string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	switch sub {
	case "add":
		if *idn != "" && *certPath != "" {
			return usagef("user add: --identity-number is only for an account that binds its certificate at first login; not with --cert")
		}
	case "bind-cert":
		switch {
		case *certPath != "" && *serial != "":
			return usagef("user bind-cert: --cert or --serial, not both")
		case *certPath == "" && *serial == "":
			return usagef("user bind-cert: --cert or --serial is required")
		case *serial != "" && strings.TrimSpace(*issuer) == "":
			// A serial number is unique only per issuer.
			return usagef("user bind-cert: --serial needs --issuer (or give the certificate with --cert)")
		}
	case "set-identity":
		if !given["identity-number"] {
			return usagef("user set-identity: --identity-number is required (--identity-number= removes it)")
		}
	}
	if idn != nil && *idn != "" {
		if _, err := store.NormalizeIdentityNumber(*idn); err != nil {
			return usagef("user %s: --identity-number: %v", sub, err)
		}
	}
	return nil
}

// userFlags are the optional flags of the user subcommands (nil when a
// subcommand does not take them).
type userFlags struct {
	name, group, certPath, serial, issuer, reason, idn *string
	pwStdin                                            *bool
}

func (c *cli) userRun(ctx context.Context, st *store.Store, cfg *gateway.Config, sub, id string, f userFlags) error {
	name, group, certPath, serial, reason, pwStdin := f.name, f.group, f.certPath, f.serial, f.reason, f.pwStdin
	switch sub {
	case "add":
		hash, announce, err := c.initialHash(*pwStdin, cfg)
		if err != nil {
			return err
		}
		u := store.User{ID: id, DisplayName: *name, Group: *group, PasswordHash: hash, MustChangePassword: true,
			IdentityNumber: *f.idn}
		if *certPath != "" {
			if u.Cert, err = bindingOf(*certPath); err != nil {
				return err
			}
		}
		if err := st.AddUser(ctx, u); err != nil {
			return err
		}
		c.auditAdmin(ctx, st, "user_added", id)
		fmt.Fprintf(c.stdout, "added %s; initial password must be changed at first login\n", id)
		announce()
	case "list":
		users, err := st.ListUsers(ctx)
		if err != nil {
			return err
		}
		rows := [][]string{{"ID", "NAME", "GROUP", "STATE", "FAILURES", "CERTIFICATE"}}
		for _, u := range users {
			rows = append(rows, []string{u.ID, u.DisplayName, u.Group, userState(u), fmt.Sprint(u.FailedAttempts), bindingString(u.Cert)})
		}
		textable.Print(c.stdout, rows)
	case "show":
		u, err := st.GetUser(ctx, id)
		if err != nil {
			return err
		}
		// The identity number itself is never shown, only whether one
		// waits for the first-login binding.
		idn := "none"
		if u.IdentityNumber != "" {
			idn = "registered"
		}
		fmt.Fprintf(c.stdout, "ID:          %s\nName:        %s\nGroup:       %s\nState:       %s\nFailures:    %d\nCertificate: %s\nIdentity number: %s\nCreated:     %s\n",
			u.ID, u.DisplayName, u.Group, userState(u), u.FailedAttempts, bindingString(u.Cert), idn, u.CreatedAt.Local().Format(time.RFC3339))
		sessions, err := st.ListUserSessions(ctx, u.ID)
		if err == nil {
			for _, s := range sessions {
				if s.Active() {
					fmt.Fprintf(c.stdout, "Session:     %s %s from %s since %s\n", s.ID, s.TunnelAddr, s.Source, s.CreatedAt.Local().Format(time.RFC3339))
				}
			}
		}
	case "lock":
		if err := st.LockUser(ctx, id, *reason); err != nil {
			return err
		}
		ended, err := st.EndUserSessions(ctx, id, api.EndRevoked, time.Now())
		if err != nil {
			return err
		}
		c.auditAdmin(ctx, st, "user_locked", id)
		fmt.Fprintf(c.stdout, "locked %s; ended %d session(s)\n", id, len(ended))
	case "unlock":
		if err := st.UnlockUser(ctx, id); err != nil {
			return err
		}
		c.auditAdmin(ctx, st, "user_unlocked", id)
		fmt.Fprintf(c.stdout, "unlocked %s\n", id)
	case "reset-password":
		hash, announce, err := c.initialHash(*pwStdin, cfg)
		if err != nil {
			return err
		}
		if err := st.SetPassword(ctx, id, hash, true); err != nil {
			return err
		}
		if err := st.UnlockUser(ctx, id); err != nil {
			return err
		}
		// A reset is for a forgotten or exposed password: its sessions end
		// too, on every node.
		ended, err := st.EndUserSessions(ctx, id, api.EndKicked, time.Now())
		if err != nil {
			return err
		}
		c.auditAdmin(ctx, st, "password_reset", id)
		fmt.Fprintf(c.stdout, "password of %s reset; it must be changed at next login; ended %d session(s)\n", id, len(ended))
		announce()
	case "bind-cert":
		var (
			b   store.CertBinding
			err error
		)
		switch {
		case *certPath != "":
			if b, err = bindingOf(*certPath); err != nil {
				return err
			}
		default: // --serial with --issuer (checkUserFlags)
			if b.Serial, err = store.NormalizeSerial(*serial); err != nil {
				return err
			}
			b.Issuer = strings.TrimSpace(*f.issuer)
		}
		if err := st.BindCertificate(ctx, id, b); err != nil {
			return err
		}
		c.auditAdmin(ctx, st, "certificate_bound", id)
		fmt.Fprintf(c.stdout, "%s bound to %s\n", id, bindingString(b))
	case "set-identity":
		if err := st.SetIdentityNumber(ctx, id, *f.idn); err != nil {
			return err
		}
		if *f.idn == "" {
			c.auditAdmin(ctx, st, "identity_number_removed", id)
			fmt.Fprintf(c.stdout, "identity number of %s removed\n", id)
		} else {
			c.auditAdmin(ctx, st, "identity_number_set", id)
			fmt.Fprintf(c.stdout, "identity number of %s registered; it is deleted when the first login binds a certificate\n", id)
		}
	case "delete":
		ended, err := st.DeleteUser(ctx, id)
		if err != nil {
			return err
		}
		c.auditAdmin(ctx, st, "user_deleted", id)
		fmt.Fprintf(c.stdout, "deleted %s; ended %d session(s)\n", id, len(ended))
	}
	return nil
}

func userState(u store.User) string {
	switch {
	case u.Locked:
		return "locked (" + u.LockReason + ")"
	case u.MustChangePassword:
		return "must change password"
	}
	return "active"
}

func bindingString(b store.CertBinding) string {
	if b.IsZero() {
		return "-"
	}
	var parts []string
	if b.Subject != "" {
		parts = append(parts, b.Subject)
	}
	if b.Serial != "" {
		parts = append(parts, "#"+b.Serial)
	}
	if b.Issuer != "" {
		parts = append(parts, "issued by "+b.Issuer)
	}
	return strings.Join(parts, " ")
}

// bindingOf reads a certificate file into an account binding.
func bindingOf(path string) (store.CertBinding, error) {
	c, err := certstore.Load(path)
	if err != nil {
		return store.CertBinding{}, err
	}
	return store.CertBinding{Subject: certstore.SubjectString(c.X509), Serial: fmt.Sprintf("%x", c.X509.SerialNumber),
		Issuer: certstore.IssuerString(c.X509)}, nil
}

// initialPassword reads one from stdin or generates a random one that meets
// the default policy.
// initialHash hashes an administrator-set password (from stdin, or
// generated); announce prints a generated one, after the account is saved.
func (c *cli) initialHash(fromStdin bool, cfg *gateway.Config) (hash string, announce func(), err error) {
	pw, generated, err := c.initialPassword(fromStdin)
	if err != nil {
		return "", nil, err
	}
	if hash, err = password.Hash(pw, cfg.Argon2); err != nil {
		return "", nil, err
	}
	return hash, func() {
		if generated {
			fmt.Fprintf(c.stdout, "initial password: %s\n", pw)
		}
	}, nil
}

func (c *cli) initialPassword(fromStdin bool) (pw string, generated bool, err error) {
	if fromStdin {
		line, err := bufio.NewReader(c.stdin).ReadString('\n')
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			return "", false, fmt.Errorf("no password on standard input: %v", err)
		}
		return line, false, nil
	}
	b := make([]byte, 9)
	rand.Read(b)
	return "Sv" + base64.RawURLEncoding.EncodeToString(b)[:10] + "7!", true, nil
}

func (c *cli) auditAdmin(ctx context.Context, st *store.Store, event, user string) {
	st.AppendAudit(ctx, store.AuditEvent{Event: event, UserID: user, Source: "admin-cli"})
}

func (c *cli) session(ctx context.Context, args []string) error {
	sub, args, err := subcommand("session", "list|kick", args)
	if err != nil {
		return err
	}
	fs := c.flags("session " + sub)
	var id, user *string
	switch sub {
	case "list":
	case "kick":
		id = fs.String("id", "", "session `ID`")
		user = fs.String("user", "", "or: every session of this user `ID`")
	default:
		return usagef("session: unknown command %q", sub)
	}
	return c.withStore(ctx, fs, args, nil, func(st *store.Store, _ *gateway.Config) error {
		return c.sessionRun(ctx, st, sub, id, user)
	})
}

func (c *cli) sessionRun(ctx context.Context, st *store.Store, sub string, id, user *string) error {
	switch sub {
	case "list":
		sessions, err := st.ListActiveSessions(ctx)
		if err != nil {
			return err
		}
		rows := [][]string{{"SESSION", "USER", "ADDRESS", "SOURCE", "NODE", "SINCE", "LAST SEEN"}}
		for _, s := range sessions {
			rows = append(rows, []string{s.ID, s.UserID, s.TunnelAddr.String(), s.Source, s.Node,
				s.CreatedAt.Local().Format("01-02 15:04:05"), s.LastSeen.Local().Format("15:04:05")})
		}
		textable.Print(c.stdout, rows)
	case "kick":
		var n int
		switch {
		case *id != "":
			s, err := st.EndSession(ctx, *id, api.EndKicked, time.Now())
			if err != nil {
				return err
			}
			c.auditAdmin(ctx, st, "session_kicked", s.UserID)
			n = 1
		case *user != "":
			ended, err := st.EndUserSessions(ctx, *user, api.EndKicked, time.Now())
			if err != nil {
				return err
			}
			c.auditAdmin(ctx, st, "session_kicked", *user)
			n = len(ended)
		default:
			return usagef("session kick: --id or --user is required")
		}
		fmt.Fprintf(c.stdout, "ended %d session(s); the gateway removes their peers within %s\n", n, gateway.ReconcileInterval)
	}
	return nil
}

func (c *cli) cert(ctx context.Context, args []string) error {
	sub, args, err := subcommand("cert", "revoke|list|moves|moves-reset", args)
	if err != nil {
		return err
	}
	fs := c.flags("cert " + sub)
	if sub == "moves" || sub == "moves-reset" { // 인증서 이동's device count: certmove.go
		return c.certMoves(ctx, fs, sub, args)
	}
	var serial, issuer, path, reason *string
	switch sub {
	case "revoke":
		serial = fs.String("serial", "", "certificate serial (hex)")
		issuer = fs.String("issuer", "", "issuer DN (default: any issuer)")
		path = fs.String("cert", "", "or: the certificate file")
		reason = fs.String("reason", "", "why (keyCompromise, affiliationChanged, …)")
	case "list":
	default:
		return usagef("cert: unknown command %q", sub)
	}
	return c.withStore(ctx, fs, args, nil, func(st *store.Store, _ *gateway.Config) error {
		if sub == "list" {
			return c.certList(ctx, st)
		}
		return c.certRevoke(ctx, st, store.Revocation{Serial: *serial, Issuer: *issuer, Reason: *reason}, *path)
	})
}

func (c *cli) certList(ctx context.Context, st *store.Store) error {
	revs, err := st.ListRevoked(ctx)
	if err != nil {
		return err
	}
	rows := [][]string{{"SERIAL", "ISSUER", "REASON", "REVOKED"}}
	for _, r := range revs {
		rows = append(rows, []string{r.Serial, r.Issuer, r.Reason, r.RevokedAt.Local().Format(time.RFC3339)})
	}
	textable.Print(c.stdout, rows)
	return nil
}

func (c *cli) certRevoke(ctx context.Context, st *store.Store, r store.Revocation, path string) error {
	if path != "" {
		c, err := certstore.Load(path)
		if err != nil {
			return err
		}
		r.Serial = fmt.Sprintf("%x", c.X509.SerialNumber)
		r.Issuer = certstore.IssuerString(c.X509)
	}
	if r.Serial == "" {
		return usagef("cert revoke: --serial or --cert is required")
	}
	if err := st.RevokeCertificate(ctx, r); err != nil {
		return err
	}
	c.auditAdmin(ctx, st, "certificate_revoked", "")
	serial, _ := store.NormalizeSerial(r.Serial)
	ended, err := st.EndCertificateSessions(ctx, serial, r.Issuer, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "revoked serial %s; logins with it are refused; ended %d session(s)\n", r.Serial, len(ended))
	return nil
}

func (c *cli) audit(ctx context.Context, args []string) error {
	fs := c.flags("audit")
	user := fs.String("user", "", "only this user")
	limit := fs.Int("limit", 50, "entries")
	return c.withStore(ctx, fs, args, nil, func(st *store.Store, _ *gateway.Config) error {
		evs, err := st.ListAudit(ctx, store.AuditFilter{UserID: *user, Limit: *limit})
		if err != nil {
			return err
		}
		rows := [][]string{{"TIME", "EVENT", "USER", "SOURCE", "CODE", "DETAIL"}}
		for _, e := range evs {
			rows = append(rows, []string{e.Time.Local().Format("2006-01-02 15:04:05"), e.Event, e.UserID, e.Source, e.Code, string(e.Detail)})
		}
		textable.Print(c.stdout, rows)
		return nil
	})
}
