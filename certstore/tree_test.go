package certstore_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/certstore/certgen"
)

var (
	pkiOnce sync.Once
	pki     *certgen.PKI
	pkiErr  error
)

// testPKI is created once per test binary: RSA key generation is slow.
func testPKI(t testing.TB) *certgen.PKI {
	pkiOnce.Do(func() { pki, pkiErr = certgen.NewPKI() })
	if pkiErr != nil {
		t.Fatal(pkiErr)
	}
	return pki
}

type treeCert struct {
	user     *certgen.User
	password string
	name     string
	location certstore.Location
	purpose  certstore.Purpose
	kind     certstore.Kind
}

// buildUserTree lays out a hard disk and a USB drive the way staff have
// them: legacy and PBES2 keys, NPKI and GPKI, Hangul folder names in NFC,
// NFD and CP949 bytes, an expired and an expiring certificate, and the
// encryption pair (kmCert) that must be skipped.
func buildUserTree(t *testing.T) (home, drive string, certs []treeCert) {
	p := testPKI(t)
	home = filepath.Join(t.TempDir(), "NPKI")
	drive = t.TempDir()
	issue := func(ca *certgen.CA, o certgen.UserOptions) *certgen.User {
		u, err := ca.IssueUser(o)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	hong := issue(p.Yessign, certgen.UserOptions{Name: "홍길동", IDN: "800101-1234567"})
	_, err := hong.WriteNPKI(home, "hong-Pass1!", certstore.SchemeSEEDLegacy)
	must(err)
	certs = append(certs, treeCert{hong, "hong-Pass1!", "홍길동", certstore.LocationDisk, certstore.PurposeGeneralPersonal, certstore.KindNPKI})

	kim := issue(p.Yessign, certgen.UserOptions{Name: "김철수", PolicyOID: certgen.PolicyYessignBank, NotAfter: time.Now().AddDate(0, 0, 10)})
	// A folder name in decomposed Hangul, as macOS writes it.
	must(kim.WriteNPKIFolder(filepath.Join(home, "yessign", "USER", norm.NFD.String("cn=김철수()00,o=yessign,c=kr")), "kim-Pass2@", certstore.SchemePBES2SEED))
	// The encryption pair beside it is not for login.
	must(os.WriteFile(filepath.Join(home, "yessign", "USER", norm.NFD.String("cn=김철수()00,o=yessign,c=kr"), "kmCert.der"), []byte("not a login certificate"), 0o644))
	certs = append(certs, treeCert{kim, "kim-Pass2@", "김철수", certstore.LocationDisk, certstore.PurposeBanking, certstore.KindNPKI})

	old := issue(p.Yessign, certgen.UserOptions{Name: "박영희", NotBefore: time.Now().AddDate(-2, 0, 0), NotAfter: time.Now().AddDate(-1, 0, 0)})
	// A folder name in CP949 bytes (박영희 = B9DA BFB5 C8F1), as old Windows wrote it.
	must(old.WriteNPKIFolder(filepath.Join(drive, "NPKI", "yessign", "USER", "cn=\xb9\xda\xbf\xb5\xc8\xf1()00"), "park-Pass3#", certstore.SchemePBES2ARIA128))
	certs = append(certs, treeCert{old, "park-Pass3#", "박영희", certstore.LocationRemovable, certstore.PurposeGeneralPersonal, certstore.KindNPKI})

	lee := issue(p.Yessign, certgen.UserOptions{Name: "이순신", PolicyOID: certgen.PolicyKICAGeneral, ECDSA: true})
	_, err = lee.WriteNPKI(filepath.Join(drive, "NPKI"), "lee-Pass4$", certstore.SchemePBES2AES256)
	must(err)
	certs = append(certs, treeCert{lee, "lee-Pass4$", "이순신", certstore.LocationRemovable, certstore.PurposeGeneralPersonal, certstore.KindNPKI})

	gov := issue(p.GPKI, certgen.UserOptions{Name: "최공무", CommonName: "최공무001", PolicyOID: certgen.PolicyGPKIPersonal, OU: []string{"행정안전부", "people"}})
	_, err = gov.WriteGPKI(filepath.Join(drive, "GPKI", "Certificate", "class2"), "최공무001", "gov-Pass5%", certstore.SchemePBES2SEEDSHA1)
	must(err)
	certs = append(certs, treeCert{gov, "gov-Pass5%", "최공무", certstore.LocationRemovable, certstore.PurposeGovernment, certstore.KindGPKI})
	return home, drive, certs
}

func TestScanUserTree(t *testing.T) {
	home, drive, want := buildUserTree(t)
	sources := append([]certstore.Source{{Dir: home, Layout: certstore.LayoutNPKI, Location: certstore.LocationDisk}},
		certstore.SourcesForDrive(drive, certstore.LocationRemovable)...)
	res := certstore.Scan(context.Background(), sources)
	if len(res.Errors) != 0 {
		t.Fatalf("scan errors: %v", res.Errors)
	}
	if len(res.Certificates) != len(want) {
		t.Fatalf("found %d certificates, want %d", len(res.Certificates), len(want))
	}
	now := time.Now()
	bySerial := map[string]*certstore.Certificate{}
	for _, c := range res.Certificates {
		bySerial[c.X509.SerialNumber.String()] = c
	}
	for _, w := range want {
		c := bySerial[w.user.Cert.SerialNumber.String()]
		if c == nil {
			t.Errorf("%s not found", w.name)
			continue
		}
		in := c.Info(now)
		if in.Name != w.name || in.Location != w.location || in.Purpose != w.purpose || in.Kind != w.kind {
			t.Errorf("%s: got name=%q location=%s purpose=%s kind=%s", w.name, in.Name, in.Location, in.Purpose, in.Kind)
		}
		id, err := c.Unlock([]byte(w.password))
		if err != nil {
			t.Errorf("%s: unlock: %v", w.name, err)
			continue
		}
		if _, err := c.Unlock([]byte(w.password + "x")); !errors.Is(err, certstore.ErrWrongPassword) {
			t.Errorf("%s: wrong password: %v", w.name, err)
		}
		// The VID binds the certificate to its holder's number.
		if err := certstore.VerifyVID(c.X509, id.Key.Random, w.user.IDN); err != nil {
			t.Errorf("%s: VID: %v", w.name, err)
		}
		if err := certstore.VerifyVID(c.X509, id.Key.Random, "9912312345678"); !errors.Is(err, certstore.ErrVIDMismatch) {
			t.Errorf("%s: VID with another number: %v", w.name, err)
		}
		msg := []byte("challenge " + w.name)
		sig, alg, err := id.Sign(rand.Reader, msg, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := certstore.VerifySignature(c.X509, alg, msg, sig); err != nil {
			t.Errorf("%s: %s signature: %v", w.name, alg, err)
		}
	}
	// Picker order: valid first, expired (박영희) last; 김철수 expires soon.
	last := res.Certificates[len(res.Certificates)-1].Info(now)
	if last.Name != "박영희" || !last.Expired {
		t.Errorf("last listed is %s (expired=%v), want the expired 박영희", last.Name, last.Expired)
	}
	for _, c := range res.Certificates {
		in := c.Info(now)
		if in.Name == "김철수" && !in.ExpiringSoon {
			t.Errorf("김철수 expires in 10 days but is not flagged")
		}
	}
}

func TestScanMissingSourcesAreQuiet(t *testing.T) {
	res := certstore.Scan(context.Background(), certstore.SourcesForDrive(filepath.Join(t.TempDir(), "no-such-drive"), certstore.LocationRemovable))
	if len(res.Certificates) != 0 || len(res.Errors) != 0 {
		t.Fatalf("got %v", res)
	}
}

func TestScanCancelled(t *testing.T) {
	home, drive, _ := buildUserTree(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sources := append([]certstore.Source{{Dir: home, Layout: certstore.LayoutNPKI, Location: certstore.LocationDisk}},
		certstore.SourcesForDrive(drive, certstore.LocationRemovable)...)
	res := certstore.Scan(ctx, sources)
	if len(res.Errors) == 0 || !errors.Is(res.Errors[len(res.Errors)-1], context.Canceled) {
		t.Fatalf("a cancelled scan must say so: %v", res.Errors)
	}
}

func TestExportImportRoundTrip(t *testing.T) {
	home, _, certs := buildUserTree(t)
	hong := certs[0]
	c, err := certstore.Load(filepath.Join(home, "yessign", "USER", certstore.NPKIFolderName(hong.user.Cert)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ExportPKCS12(rand.Reader, []byte("wrong")); !errors.Is(err, certstore.ErrWrongPassword) {
		t.Fatalf("export with a wrong password: %v", err)
	}
	p12, err := c.ExportPKCS12(rand.Reader, []byte(hong.password))
	if err != nil {
		t.Fatal(err)
	}
	drive := t.TempDir()
	if _, err := certstore.ImportPKCS12(rand.Reader, p12, []byte("wrong"), filepath.Join(drive, "NPKI"), certstore.LocationRemovable); !errors.Is(err, certstore.ErrWrongPassword) {
		t.Fatalf("import with a wrong password: %v", err)
	}
	imported, err := certstore.ImportPKCS12(rand.Reader, p12, []byte(hong.password), filepath.Join(drive, "NPKI"), certstore.LocationRemovable)
	if err != nil {
		t.Fatal(err)
	}
	wantDir := filepath.Join(drive, "NPKI", "yessign", "USER", certstore.NPKIFolderName(hong.user.Cert))
	if filepath.Dir(imported.Path) != wantDir {
		t.Fatalf("imported to %s, want %s", imported.Path, wantDir)
	}
	res := certstore.Scan(context.Background(), certstore.SourcesForDrive(drive, certstore.LocationRemovable))
	if len(res.Certificates) != 1 || res.Certificates[0].Location != certstore.LocationRemovable {
		t.Fatalf("scan after import: %+v", res)
	}
	id, err := res.Certificates[0].Unlock([]byte(hong.password))
	if err != nil {
		t.Fatal(err)
	}
	if !id.Key.Signer.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(hong.user.Key.Public()) {
		t.Fatal("imported key differs")
	}
	// Importing the same certificate again replaces it in place.
	if _, err := certstore.ImportPKCS12(rand.Reader, p12, []byte(hong.password), filepath.Join(drive, "NPKI"), certstore.LocationRemovable); err != nil {
		t.Fatalf("re-import: %v", err)
	}
}

func TestNPKIFolderName(t *testing.T) {
	p := testPKI(t)
	u, err := p.Yessign.IssueUser(certgen.UserOptions{Name: "홍길동", CommonName: "홍길동()0012345678901234", OU: []string{"personal4IB", "SVPNBANK"}})
	if err != nil {
		t.Fatal(err)
	}
	got := certstore.NPKIFolderName(u.Cert)
	want := "cn=홍길동()0012345678901234,ou=SVPNBANK,ou=personal4IB,o=yessign,c=kr"
	if got != want {
		t.Fatalf("folder %q, want %q", got, want)
	}
}

func TestDisplayName(t *testing.T) {
	p := testPKI(t)
	for cn, want := range map[string]string{
		"홍길동()0012345678901234":    "홍길동",
		"(주)한국회사()0012345678":      "(주)한국회사",
		"최공무001":                   "최공무",
		"HKD(KILDONG.HONG)0091041": "HKD",
	} {
		u, err := p.Yessign.IssueUser(certgen.UserOptions{Name: "x", CommonName: cn, Key: p.Root.Key})
		if err != nil {
			t.Fatal(err)
		}
		if got := certstore.DisplayName(u.Cert); got != want {
			t.Errorf("DisplayName(%q) = %q, want %q", cn, got, want)
		}
	}
}

func TestErrorsCarryCodes(t *testing.T) {
	_, err := certstore.Load(filepath.Join(t.TempDir(), "missing", "signCert.der"))
	if api.CodeOf(err) != api.CodeCertNotFound {
		t.Fatalf("missing file: %v (code %s)", err, api.CodeOf(err))
	}
}
