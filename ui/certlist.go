package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/certstore/token"
)

// certRow is one line of the picker's table.
type certRow struct {
	Cert *certstore.Certificate // nil for a PKCS#12 file whose certificate is encrypted too
	Path string                 // what to unlock: the certificate file, or the .pfx
	Info certstore.Info         // zero for an encrypted PKCS#12 until unlocked
	// Locked: a PKCS#12 file whose contents show only after the password.
	Locked bool
	// Token is the certificate on a security token (보안토큰), nil for files.
	Token *token.Cert
}

// Usable reports whether the row's certificate is within its validity.
func (r certRow) Usable() bool {
	return r.Locked || (!r.Info.Expired && !r.Info.NotYetValid && (r.Token == nil || r.Token.Unusable == ""))
}

// rowRank orders rows: usable certificates, then not yet valid ones, then
// expired ones.
func rowRank(r certRow) int {
	switch {
	case r.Locked || r.Usable():
		return 0
	case r.Info.NotYetValid:
		return 1
	}
	return 2
}

// buildRows describes certificates as of now and sorts them for the picker:
// usable ones first, latest expiry first (the renewed certificate above the
// one it replaces), then not-yet-valid ones, then expired ones; ties by
// name, then path, so the order never flickers between refreshes.
func buildRows(certs []*certstore.Certificate, now time.Time) []certRow {
	rows := make([]certRow, 0, len(certs))
	for _, c := range certs {
		rows = append(rows, certRow{Cert: c, Path: c.Path, Info: c.Info(now)})
	}
	sortRows(rows)
	return rows
}

func sortRows(rows []certRow) {
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if ra, rb := rowRank(a), rowRank(b); ra != rb {
			return ra < rb
		}
		if !a.Info.NotAfter.Equal(b.Info.NotAfter) {
			return a.Info.NotAfter.After(b.Info.NotAfter)
		}
		if a.Info.Name != b.Info.Name {
			return a.Info.Name < b.Info.Name
		}
		return a.Path < b.Path
	})
}

// rowsAt returns the rows of one location (하드디스크 / 이동식디스크 /
// 찾아보기).
func rowsAt(rows []certRow, loc certstore.Location) []certRow {
	var out []certRow
	for _, r := range rows {
		l := certstore.LocationFile
		if r.Cert != nil {
			l = r.Cert.Location
		}
		if l == loc {
			out = append(out, r)
		}
	}
	return out
}

// issuerText is the 발급자 column: the CA as Korean users know it.
func issuerText(in certstore.Info) string {
	if CurrentLanguage() == Korean && in.IssuerCAKorean != "" {
		return in.IssuerCAKorean
	}
	if in.IssuerCA != "" {
		return in.IssuerCA
	}
	return in.Issuer
}

// purposeText is the 구분 column.
func purposeText(in certstore.Info) string {
	if CurrentLanguage() == Korean {
		return string(in.Purpose)
	}
	return in.PurposeEnglish
}

// validityText is the 유효기간 column: the expiry date, marked when the
// certificate is expired, not yet valid or expiring within 30 days.
func validityText(in certstore.Info) string {
	d := in.NotAfter.Local().Format("2006-01-02")
	switch {
	case in.Expired:
		return d + " " + T("picker.expired")
	case in.NotYetValid:
		return d + " " + T("picker.not_yet_valid")
	case in.ExpiringSoon:
		return d + " " + Tf("picker.days_left", map[string]any{"N": in.DaysLeft})
	}
	return d
}

// Sources lists where the picker looks: the OS's standard places and
// removable drives (certstore.DefaultSources, re-evaluated on each call so
// that drives plugged in later appear) plus the extra drive roots given
// with --drive, treated as removable drives, and the folders given with
// --disk, treated as the hard disk (each holding NPKI and
// GPKI/Certificate/class2, as a drive root does).
func Sources(extraDrives, extraDisks []string) func() []certstore.Source {
	return func() []certstore.Source {
		src := certstore.DefaultSources()
		for _, d := range extraDisks {
			src = append(src, certstore.SourcesForDrive(d, certstore.LocationDisk)...)
		}
		for _, d := range extraDrives {
			src = append(src, certstore.SourcesForDrive(d, certstore.LocationRemovable)...)
		}
		return src
	}
}

// sourcesFingerprint summarizes what the sources look like on disk: which
// exist and when they and their first two levels changed. Plugging in or
// pulling out a drive, or adding a certificate, changes it; reading it
// costs a few stat calls, cheap enough to repeat every second while the
// picker is open.
func sourcesFingerprint(srcs []certstore.Source) string {
	var b strings.Builder
	var walk func(dir string, depth int)
	walk = func(dir string, depth int) {
		st, err := os.Stat(dir)
		if err != nil {
			fmt.Fprintf(&b, "%s:-;", dir)
			return
		}
		fmt.Fprintf(&b, "%s:%d;", dir, st.ModTime().UnixNano())
		if depth == 0 || !st.IsDir() {
			return
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return
		}
		for _, e := range entries {
			if e.IsDir() {
				walk(filepath.Join(dir, e.Name()), depth-1)
			}
		}
	}
	for _, s := range srcs {
		walk(s.Dir, 2)
	}
	return b.String()
}

// scanCertificates scans sources and returns the picker's rows and the
// first scan error's code (an unreadable drive), if any.
func scanCertificates(ctx context.Context, srcs []certstore.Source, now time.Time) ([]certRow, api.Code) {
	res := certstore.Scan(ctx, srcs)
	var code api.Code
	for _, e := range res.Errors {
		if c := api.CodeOf(e.Err); c != "" && ctx.Err() == nil {
			code = c
			break
		}
	}
	return buildRows(res.Certificates, now), code
}

// loadFile reads a certificate file the user browsed to (찾아보기): a
// PKCS#12 whose certificate is itself encrypted gives a locked row.
func loadFile(path string, now time.Time) (certRow, error) {
	c, err := certstore.Load(path)
	if api.CodeOf(err) == api.CodeCertPasswordNeeded {
		return certRow{Path: path, Locked: true, Info: certstore.Info{Name: filepath.Base(path), Path: path, Location: certstore.LocationFile}}, nil
	}
	if err != nil {
		return certRow{}, err
	}
	return certRow{Cert: c, Path: c.Path, Info: c.Info(now)}, nil
}

// unlockRow decrypts a row's key with the certificate password, in this
// process: the key never leaves it.
func unlockRow(r certRow, pw []byte) (*certstore.Identity, error) {
	if r.Locked {
		return certstore.LoadPKCS12(r.Path, pw)
	}
	// Re-read from disk: the drive may have been pulled out since the scan.
	c, err := certstore.Load(r.Path)
	if api.CodeOf(err) == api.CodeCertPasswordNeeded {
		return certstore.LoadPKCS12(r.Path, pw)
	}
	if err != nil {
		return nil, err
	}
	if r.Cert != nil {
		c.Location = r.Cert.Location
	}
	return c.Unlock(pw)
}

// dnText is a distinguished name as the details show it: a space after
// each unescaped comma, so that word wrapping breaks between its parts.
func dnText(dn string) string {
	var b strings.Builder
	for i := 0; i < len(dn); i++ {
		b.WriteByte(dn[i])
		if dn[i] == '\\' && i+1 < len(dn) {
			i++
			b.WriteByte(dn[i])
			continue
		}
		if dn[i] == ',' && (i+1 >= len(dn) || dn[i+1] != ' ') {
			b.WriteByte(' ')
		}
	}
	return b.String()
}
