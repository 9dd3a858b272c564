package ui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/certstore/certgen"
	"github.com/opensvpn/svpn/internal/testfixtures"
)

func row(name string, notAfter time.Time, expired, notYet bool) certRow {
	return certRow{Path: "/p/" + name, Info: certstore.Info{Name: name, NotAfter: notAfter, Expired: expired, NotYetValid: notYet}}
}

func names(rows []certRow) string {
	var s []string
	for _, r := range rows {
		s = append(s, r.Info.Name)
	}
	return strings.Join(s, ",")
}

// TestSortRows: usable certificates first, latest expiry first; then not
// yet valid ones; expired ones last; ties by name.
func TestSortRows(t *testing.T) {
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	rows := []certRow{
		row("expired-old", now.AddDate(-3, 0, 0), true, false),
		row("valid-soon", now.AddDate(0, 0, 10), false, false),
		row("future", now.AddDate(2, 0, 0), false, true),
		row("valid-late", now.AddDate(1, 0, 0), false, false),
		row("expired-recent", now.AddDate(0, -1, 0), true, false),
		row("b-tie", now.AddDate(0, 6, 0), false, false),
		row("a-tie", now.AddDate(0, 6, 0), false, false),
	}
	sortRows(rows)
	if got, want := names(rows), "valid-late,a-tie,b-tie,valid-soon,future,expired-recent,expired-old"; got != want {
		t.Errorf("order:\n got %s\nwant %s", got, want)
	}
}

// TestPickerRows reads real files: the demo-like certificate on one drive
// and the real yessign test certificate (expired in 2020) on another; the
// expired one is listed last and marked.
func TestPickerRows(t *testing.T) {
	dir := t.TempDir()
	usb1, usb2 := filepath.Join(dir, "usb1"), filepath.Join(dir, "usb2")
	pki, err := certgen.NewPKI()
	if err != nil {
		t.Fatal(err)
	}
	u, err := pki.Yessign.IssueUser(certgen.UserOptions{Name: "홍길동"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.WriteNPKI(filepath.Join(usb1, "NPKI"), "pw-1234!", certstore.SchemeSEEDLegacy); err != nil {
		t.Fatal(err)
	}
	copyRealFixture(t, usb2)
	srcs := Sources([]string{usb1, usb2}, nil)
	var only []certstore.Source
	for _, s := range srcs() {
		if strings.HasPrefix(s.Dir, dir) {
			only = append(only, s)
		}
	}
	rows, code := scanCertificates(context.Background(), only, time.Now())
	if code != "" || len(rows) != 2 {
		t.Fatalf("rows %v, scan error %q", rows, code)
	}
	if rows[0].Info.Name != "홍길동" || !rows[0].Usable() {
		t.Errorf("first row: %v", rows[0])
	}
	last := rows[1]
	if !last.Info.Expired || !strings.Contains(validityText(last.Info), "(만료)") || issuerText(last.Info) != "금융결제원" {
		t.Errorf("the real yessign certificate: %v", last)
	}
	if got := rowsAt(rows, certstore.LocationRemovable); len(got) != 2 {
		t.Errorf("both are on removable drives: %v", got)
	}
	if got := rowsAt(rows, certstore.LocationDisk); len(got) != 0 {
		t.Errorf("nothing on the disk: %v", got)
	}
	// Unlocking with the real fixture's password, in this process.
	id, err := unlockRow(last, []byte("WTuA8Ev0lWXVFSiI!"))
	if err != nil || id == nil {
		t.Fatalf("unlocking the real certificate: %v", err)
	}
	if _, err := unlockRow(last, []byte("wrong")); err == nil || !strings.Contains(Explain(err).Number, "E-211") {
		t.Errorf("wrong password: %v", err)
	}
	withLanguage(t, English, func() {
		if got := validityText(last.Info); !strings.Contains(got, "(expired)") {
			t.Errorf("English validity: %q", got)
		}
		if issuerText(last.Info) != "yessign" {
			t.Errorf("English issuer: %q", issuerText(last.Info))
		}
	})
}

// copyRealFixture puts the real yessign certificate on a drive root.
func copyRealFixture(t testing.TB, root string) string { return testfixtures.CopyRealNPKI(t, root) }

// TestSourcesFingerprint: plugging in a drive (its NPKI folder appears)
// or pulling it out changes the fingerprint the picker watches.
func TestSourcesFingerprint(t *testing.T) {
	root := t.TempDir()
	srcs := certstore.SourcesForDrive(root, certstore.LocationRemovable)
	empty := sourcesFingerprint(srcs)
	if sourcesFingerprint(srcs) != empty {
		t.Fatal("not stable")
	}
	path := copyRealFixture(t, root)
	plugged := sourcesFingerprint(srcs)
	if plugged == empty {
		t.Fatal("a drive with certificates looks like none")
	}
	os.RemoveAll(filepath.Join(root, "NPKI"))
	if sourcesFingerprint(srcs) != empty {
		t.Fatal("pulling the drive out is not seen")
	}
	_ = path
}

func TestFormatSerial(t *testing.T) {
	if got := formatSerial("459c75"); got != "45:9C:75" {
		t.Errorf("%q", got)
	}
	if got := formatSerial("abc"); got != "0A:BC" {
		t.Errorf("%q", got)
	}
}

// --drive roots are removable drives, --disk folders the hard disk: the
// picker's tab and the location column follow.
func TestSourcesDrivesAndDisks(t *testing.T) {
	usb, home := filepath.Join(t.TempDir(), "usb"), filepath.Join(t.TempDir(), "home")
	got := map[string]certstore.Location{}
	for _, s := range Sources([]string{usb}, []string{home})() {
		got[s.Dir] = s.Location
	}
	for dir, want := range map[string]certstore.Location{
		filepath.Join(usb, "NPKI"): certstore.LocationRemovable, filepath.Join(usb, "GPKI", "Certificate", "class2"): certstore.LocationRemovable,
		filepath.Join(home, "NPKI"): certstore.LocationDisk, filepath.Join(home, "GPKI", "Certificate", "class2"): certstore.LocationDisk,
	} {
		if got[dir] != want {
			t.Errorf("%s: location %q, want %q", dir, got[dir], want)
		}
	}
}
