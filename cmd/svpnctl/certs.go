package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/internal/cliflags"
	"github.com/opensvpn/svpn/internal/textable"
)

func (c *cli) certs(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "list":
		return c.certsList(args[1:])
	case "show":
		return c.certsShow(args[1:])
	case "export":
		return c.certsExport(args[1:])
	case "import":
		return c.certsImport(args[1:])
	case "send", "receive": // 인증서 이동, certmove.go
		return c.certsMove(args[0], args[1:])
	}
	fmt.Fprintf(c.stderr, "svpnctl certs: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

// multiFlag collects a repeated string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func (c *cli) certsList(args []string) int {
	fs := c.newFlags("certs list")
	asJSON := fs.Bool("json", false, "print a JSON array")
	var drives multiFlag
	fs.Var(&drives, "drive", "also scan this drive `root` as removable (repeatable)")
	var disks multiFlag
	fs.Var(&disks, "disk", "also scan this `folder` as the hard disk: its NPKI and GPKI/Certificate/class2 (repeatable)")
	var modules multiFlag
	fs.Var(&modules, "pkcs11-module", "also look for security tokens with this PKCS#11 `library` (repeatable)")
	if code, ok := cliflags.Parse(fs, args); !ok {
		return code
	}
	sources := certstore.DefaultSources()
	for _, d := range disks {
		sources = append(sources, certstore.SourcesForDrive(d, certstore.LocationDisk)...)
	}
	for _, d := range drives {
		sources = append(sources, certstore.SourcesForDrive(d, certstore.LocationRemovable)...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res := certstore.Scan(ctx, sources)
	now := time.Now()
	infos := make([]certstore.Info, 0, len(res.Certificates))
	for _, cert := range res.Certificates {
		infos = append(infos, cert.Info(now))
	}
	for _, e := range res.Errors {
		fmt.Fprintf(c.stderr, "svpnctl: warning: %v\n", e)
	}
	tokenCerts, tokenErrs := c.tokenCerts(modules)
	for _, e := range tokenErrs {
		fmt.Fprintf(c.stderr, "svpnctl: warning: %s %v\n", api.Number(api.CodeOf(e)), e)
	}
	if *asJSON {
		all := make([]any, 0, len(infos)+len(tokenCerts))
		for _, in := range infos {
			all = append(all, in)
		}
		for _, tc := range tokenCerts {
			all = append(all, tc.Info(now))
		}
		return c.printJSON(all)
	}
	if len(infos)+len(tokenCerts) == 0 {
		fmt.Fprintln(c.stdout, "No certificates found. Searched:")
		for _, s := range sources {
			fmt.Fprintf(c.stdout, "  %s (%s)\n", s.Dir, s.Location)
		}
		return exitOK
	}
	rows := [][]string{{"NAME", "ISSUER", "PURPOSE", "EXPIRES", "LOCATION", "PATH"}}
	for _, in := range infos {
		rows = append(rows, []string{in.Name, in.IssuerCA, string(in.Purpose), expiry(in), string(in.Location), in.Path})
	}
	for _, tc := range tokenCerts {
		in := tc.Info(now)
		exp := expiry(in.Info)
		if !in.Usable {
			exp += " (unusable: " + in.Unusable + ")"
		}
		rows = append(rows, []string{in.Name, in.IssuerCA, string(in.Purpose), exp, "token " + in.Token, in.Path})
	}
	textable.Print(c.stdout, rows)
	return exitOK
}

func expiry(in certstore.Info) string {
	d := in.NotAfter.Local().Format("2006-01-02")
	switch {
	case in.Expired:
		return d + " (expired)"
	case in.NotYetValid:
		return d + " (not yet valid)"
	case in.ExpiringSoon:
		return fmt.Sprintf("%s (%d days left)", d, in.DaysLeft)
	}
	return d
}

func (c *cli) printJSON(v any) int {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return c.fail(err)
	}
	return exitOK
}

func (c *cli) certsShow(args []string) int {
	fs := c.newFlags("certs show")
	path := fs.String("cert", "", "signCert.der, its folder, a GPKI *_sig.cer or a .pfx/.p12 `path`")
	asJSON := fs.Bool("json", false, "print JSON")
	pwStdin := fs.Bool("password-stdin", false, "read a PKCS#12 password from standard input (for .pfx files whose certificate is encrypted)")
	if code, ok := cliflags.Parse(fs, args); !ok {
		return code
	}
	if *path == "" {
		fmt.Fprintln(c.stderr, "svpnctl certs show: --cert is required")
		return exitUsage
	}
	cert, err := certstore.Load(*path)
	if api.CodeOf(err) == api.CodeCertPasswordNeeded && *pwStdin {
		pw, perr := c.password(true, "PKCS#12 password")
		if perr != nil {
			return c.fail(perr)
		}
		var id *certstore.Identity
		if id, err = certstore.LoadPKCS12(*path, pw); err == nil {
			cert = id.Certificate
		}
	}
	if err != nil {
		return c.fail(err)
	}
	in := cert.Info(time.Now())
	if *asJSON {
		return c.printJSON(in)
	}
	var rows [][]string
	row := func(k, v string) { rows = append(rows, []string{k + ":", v}) }
	row("Name", in.Name)
	row("Subject", in.Subject)
	row("Issuer", fmt.Sprintf("%s (%s) — %s", in.IssuerCA, in.IssuerCAKorean, in.Issuer))
	row("Purpose", fmt.Sprintf("%s (%s)", in.Purpose, in.PurposeEnglish))
	row("Policy OID", in.PolicyOID)
	row("Serial", in.Serial)
	row("Valid from", in.NotBefore.Local().Format(time.RFC3339))
	row("Valid until", in.NotAfter.Local().Format(time.RFC3339)+statusSuffix(in))
	row("Format", string(in.Kind))
	row("Certificate", in.Path)
	row("Key", in.KeyPath)
	if id, err := certstore.ParseIdentifyData(cert.X509); err == nil {
		row("Identity (VID)", fmt.Sprintf("%s, %s", id.RealName, id.Hash))
	}
	textable.Print(c.stdout, rows)
	return exitOK
}

func statusSuffix(in certstore.Info) string {
	s := expiry(in)
	if i := strings.Index(s, " "); i >= 0 {
		return s[i:]
	}
	return ""
}

func (c *cli) certsExport(args []string) int {
	fs := c.newFlags("certs export")
	path := fs.String("cert", "", "the certificate to export (signCert.der, its folder or a GPKI *_sig.cer)")
	out := fs.String("p12", "", "the PKCS#12 `file` to write")
	pwStdin := fs.Bool("password-stdin", false, "read the certificate password from the first line of standard input")
	if code, ok := cliflags.Parse(fs, args); !ok {
		return code
	}
	if *path == "" || *out == "" {
		fmt.Fprintln(c.stderr, "svpnctl certs export: --cert and --p12 are required")
		return exitUsage
	}
	cert, err := certstore.Load(*path)
	if err != nil {
		return c.fail(err)
	}
	pw, err := c.password(*pwStdin, "Certificate password")
	if err != nil {
		return c.fail(err)
	}
	p12, err := cert.ExportPKCS12(rand.Reader, pw)
	if err != nil {
		return c.fail(err)
	}
	// Written only after the key decrypted: a wrong password leaves nothing.
	if err := writeNew(*out, p12); err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.stdout, "Exported %s to %s (protected by the same password)\n", certstore.DisplayName(cert.X509), *out)
	return exitOK
}

// writeNew writes a secret file readable by its owner only. The data goes
// to a temporary file that os.CreateTemp makes with O_CREATE|O_EXCL and
// mode 0600 under an unpredictable name in the target's directory, so
// nothing another user planted there (a symlink at a guessable name) is
// ever opened or followed; a rename then puts it in place.
func writeNew(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o600) // CreateTemp's mode already; said here for the reader
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

func (c *cli) certsImport(args []string) int {
	fs := c.newFlags("certs import")
	in := fs.String("p12", "", "the PKCS#12 `file` (.pfx/.p12) to import")
	pwStdin := fs.Bool("password-stdin", false, "read the PKCS#12 password from the first line of standard input")
	drive := fs.String("removable", "", "write to this removable drive `root` (<root>/NPKI) instead of the hard disk")
	if code, ok := cliflags.Parse(fs, args); !ok {
		return code
	}
	if *in == "" {
		fmt.Fprintln(c.stderr, "svpnctl certs import: --p12 is required")
		return exitUsage
	}
	data, err := os.ReadFile(*in)
	if err != nil {
		return c.fail(api.Errorf(api.CodeCertNotFound, "%w", err))
	}
	pw, err := c.password(*pwStdin, "PKCS#12 password")
	if err != nil {
		return c.fail(err)
	}
	dir, loc := "", certstore.LocationDisk
	if *drive != "" {
		dir, loc = filepath.Join(*drive, "NPKI"), certstore.LocationRemovable
	} else if dir, err = certstore.HomeNPKIDir(); err != nil {
		return c.fail(err)
	}
	cert, err := certstore.ImportPKCS12(rand.Reader, data, pw, dir, loc)
	if err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.stdout, "Imported %s to %s\n", certstore.DisplayName(cert.X509), filepath.Dir(cert.Path))
	return exitOK
}
